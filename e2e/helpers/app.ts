import { expect, type Page, type TestInfo } from "@playwright/test";
import { waitForLink } from "./outbox";

export interface Person {
  name: string;
  email: string;
  password: string;
}

const shots = new WeakMap<TestInfo, number>();

/** A full-page screenshot kept with the test's artefacts: test-results/e2e/<test>/NN-step.png */
export async function snap(page: Page, testInfo: TestInfo, step: string) {
  const n = (shots.get(testInfo) ?? 0) + 1;
  shots.set(testInfo, n);
  await page.screenshot({ path: testInfo.outputPath(`${String(n).padStart(2, "0")}-${step}.png`), fullPage: true });
}

/** Fills the name/email/password form shared by /setup and /signup and submits it with `button`. */
export async function fillAccountForm(page: Page, who: Person, button: string) {
  await page.getByLabel("Your name", { exact: true }).fill(who.name);
  await page.getByLabel("Email", { exact: true }).fill(who.email);
  await page.getByLabel("Password", { exact: true }).fill(who.password);
  await page.getByRole("button", { name: button }).click();
}

export async function signUp(page: Page, who: Person) {
  await page.goto("/signup");
  await expect(page.getByRole("heading", { name: "Create your account" })).toBeVisible();
  await fillAccountForm(page, who, "Sign up");
  await expect(page).toHaveURL(/\/account\?welcome=1$/);
  await expect(page.getByText(`Welcome! We sent a confirmation link to ${who.email}.`)).toBeVisible();
}

export async function logIn(page: Page, who: Pick<Person, "email" | "password">) {
  // Stay on /login?next=... when a redirect brought us here, so `next` is honoured.
  if (!page.url().startsWith("http") || new URL(page.url()).pathname !== "/login") await page.goto("/login");
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await page.getByLabel("Email", { exact: true }).fill(who.email);
  await page.getByLabel("Password", { exact: true }).fill(who.password);
  await page.getByRole("button", { name: "Log in" }).click();
}

export async function logOut(page: Page) {
  await page.getByRole("banner").getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("banner").getByRole("link", { name: "Log in" })).toBeVisible();
}

/** A new owner: sign up, confirm the emailed link, create the organisation and land on its overview. */
export async function signUpWithOrg(page: Page, who: Person, org: { name: string; slug: string }) {
  await signUp(page, who);
  await page.goto(await waitForLink(who.email, { pathname: "/verify" }));
  await page.getByRole("button", { name: "Confirm my email" }).click();
  await expect(page.getByRole("heading", { name: "Email confirmed" })).toBeVisible();
  await page.getByRole("link", { name: "Continue to your organisations" }).click();
  await page.getByLabel("Name", { exact: true }).fill(org.name);
  await page.getByLabel("Address", { exact: true }).fill(org.slug);
  await page.getByRole("button", { name: "Create organisation" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${org.slug}$`));
}

/** A client, a project for it and a task in that project, made through the organisation's own pages. */
export async function createClientProjectTask(page: Page, names: { client: string; project: string; task: string }) {
  const nav = page.getByRole("navigation", { name: "Organisation" });
  await nav.getByRole("link", { name: "Clients", exact: true }).click();
  await page.getByRole("link", { name: "New client" }).click();
  await page.getByLabel("Name", { exact: true }).fill(names.client);
  await page.getByRole("button", { name: "Create client" }).click();
  await expect(page.getByRole("link", { name: names.client, exact: true })).toBeVisible();

  await nav.getByRole("link", { name: "Projects", exact: true }).click();
  await page.getByRole("link", { name: "New project" }).click();
  await page.getByLabel("Client", { exact: true }).selectOption({ label: names.client });
  await page.getByLabel("Name", { exact: true }).fill(names.project);
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("link", { name: names.project, exact: true })).toBeVisible();

  await nav.getByRole("link", { name: "Tasks", exact: true }).click();
  await page.getByRole("link", { name: "New task", exact: true }).click();
  await page.getByLabel("Project", { exact: true }).selectOption({ label: `${names.project} (${names.client})` });
  await page.getByLabel("Title", { exact: true }).fill(names.task);
  await page.getByRole("button", { name: "Create task" }).click();
  await expect(page.getByRole("heading", { name: names.task })).toBeVisible();
}
