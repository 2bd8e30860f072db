import { expect, test } from "@playwright/test";
import { fillAccountForm, logIn, logOut, signUp, snap, type Person } from "./helpers/app";
import { waitForLink } from "./helpers/outbox";

/**
 * The whole journey on a fresh instance, in order: the server started by playwright.config.ts has an
 * empty DATA_DIR, so the first screen is /setup. The tests share state (accounts, the organisation)
 * and run serially; if one fails the rest are skipped rather than failing for the wrong reason.
 */
test.describe.configure({ mode: "serial" });

const operator: Person = { name: "Olive Operator", email: "operator@example.com", password: "quartz-lantern-meadow-41" };
const ada: Person = { name: "Ada Lovelace", email: "ada@example.com", password: "violet-harbour-tandem-88" };
const grace: Person = { name: "Grace Hopper", email: "grace@example.com", password: "copper-willow-signal-57" };

const org = { name: "Harbour Digital", slug: "harbour-digital" };
const client = { name: "Northwind Traders", email: "billing@northwind.example", notes: "Invoices by the 5th." };
const project = { name: "Website relaunch", code: "WEB-01", rate: "120.50", budget: "40" };

/** Filled in by the journey test; the isolation test uses it to try the first client through the API. */
let clientId = "";

test("first run: /setup creates the operator account", async ({ page }, testInfo) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole("heading", { name: "Welcome to opslayer" })).toBeVisible();
  await snap(page, testInfo, "setup");

  await fillAccountForm(page, operator, "Create operator account");
  await expect(page).toHaveURL(/\/orgs$/);
  await expect(page.getByRole("heading", { name: "Your organisations" })).toBeVisible();
  await expect(page.getByRole("banner").getByRole("link", { name: operator.name })).toBeVisible();
  // The operator is created verified: no confirm-your-email banner.
  await expect(page.getByText("Confirm your email address to open organisations.")).toHaveCount(0);
  await snap(page, testInfo, "operator-orgs");

  await logOut(page);
  // Setup is a one-time page: once an account exists it sends you away.
  await page.goto("/setup");
  await expect(page).toHaveURL(/\/login$/);
});

test("a wrong password on /login shows the error sentence and signs nobody in", async ({ page }, testInfo) => {
  await logIn(page, { email: operator.email, password: "not-the-right-password-1" });
  await expect(page.getByRole("alert")).toHaveText("That email and password do not match an account.");
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("banner").getByRole("link", { name: "Log in" })).toBeVisible();
  await snap(page, testInfo, "wrong-password");

  // Still logged out: a protected page sends us back to /login with the way back in `next`.
  await page.goto("/orgs");
  await expect(page).toHaveURL(/\/login\?next=%2Forgs$/);
});

test("sign up, confirm by email, create an organisation, a client and a project, archive the client", async ({ page }, testInfo) => {
  await signUp(page, ada);
  await expect(page.getByText("email not confirmed yet")).toBeVisible();
  await snap(page, testInfo, "signed-up");

  // Unverified: the banner is shown and organisations cannot be created yet.
  await page.goto("/orgs");
  await expect(page.getByText("Confirm your email address to open organisations.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Create organisation" })).toBeDisabled();
  await snap(page, testInfo, "unverified-orgs");

  // Confirm through the link in the outbox.
  const link = await waitForLink(ada.email, { pathname: "/verify" });
  expect(new URL(link).origin).toBe(new URL(page.url()).origin);
  await page.goto(link);
  // Opening the link alone confirms nothing (mail scanners prefetch links).
  await expect(page.getByRole("heading", { name: "Confirm your email" })).toBeVisible();
  await page.getByRole("button", { name: "Confirm my email" }).click();
  await expect(page.getByRole("heading", { name: "Email confirmed" })).toBeVisible();
  await snap(page, testInfo, "email-confirmed");
  // The link is single-use.
  await page.goto(link);
  await page.getByRole("button", { name: "Confirm my email" }).click();
  await expect(page.getByRole("heading", { name: "Link not valid" })).toBeVisible();

  // Create the organisation.
  await page.goto("/orgs");
  await expect(page.getByText("Confirm your email address to open organisations.")).toHaveCount(0);
  await page.getByLabel("Name", { exact: true }).fill(org.name);
  await page.getByLabel("Address", { exact: true }).fill(org.slug);
  const create = page.getByRole("button", { name: "Create organisation" });
  await expect(create).toBeEnabled();
  await create.click();
  await expect(page).toHaveURL(new RegExp(`/o/${org.slug}$`));
  await expect(page.getByRole("navigation", { name: "Organisation" })).toContainText(org.name);
  await snap(page, testInfo, "org-created");

  // A client.
  await page.goto(`/o/${org.slug}/clients/new`);
  await expect(page.getByRole("heading", { name: "New client" })).toBeVisible();
  await page.getByLabel("Name", { exact: true }).fill(client.name);
  await page.getByLabel("Contact email").fill(client.email);
  await page.getByLabel("Notes").fill(client.notes);
  await page.getByRole("button", { name: "Create client" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${org.slug}/clients$`));
  const clientRow = page.getByRole("row").filter({ hasText: client.name });
  await expect(clientRow).toHaveCount(1);
  await expect(clientRow).toContainText(client.email);
  const href = await clientRow.getByRole("link", { name: client.name }).getAttribute("href");
  clientId = href?.split("/").pop() ?? "";
  expect(clientId).toMatch(/^c[a-z2-7]{24}$/);
  await snap(page, testInfo, "client-created");

  // A project for it.
  await page.goto(`/o/${org.slug}/projects/new`);
  await expect(page.getByRole("heading", { name: "New project" })).toBeVisible();
  await page.getByLabel("Client").selectOption({ label: client.name });
  await page.getByLabel("Name", { exact: true }).fill(project.name);
  await page.getByLabel("Code").fill(project.code);
  await page.getByLabel("Hourly rate").fill(project.rate);
  await page.getByLabel("Budget (hours)").fill(project.budget);
  await snap(page, testInfo, "project-form");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${org.slug}/projects$`));
  await expect(page.getByRole("row").filter({ hasText: project.name })).toHaveCount(1);

  // Log out, then back in through a protected page: `next` brings us back to it.
  await logOut(page);
  await page.goto(`/o/${org.slug}/projects`);
  await expect(page).toHaveURL(/\/login\?next=/);
  await logIn(page, ada);
  await expect(page).toHaveURL(new RegExp(`/o/${org.slug}/projects$`));
  const projectRow = page.getByRole("row").filter({ hasText: project.name });
  await expect(projectRow).toHaveCount(1);
  await expect(projectRow.getByRole("cell")).toHaveText([project.name, project.code, client.name, "Active", "€120.50", "40 h"]);
  await snap(page, testInfo, "projects-after-login");

  // The organisation is listed on /orgs, and its overview counts one client and one project.
  await page.goto("/orgs");
  await page.getByRole("link", { name: org.name }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${org.slug}$`));
  await expect(page.locator(".stat").filter({ hasText: "Clients" }).locator("strong")).toHaveText("1");
  await expect(
    page
      .locator(".stat")
      .filter({ hasText: /^Projects/ })
      .locator("strong"),
  ).toHaveText("1");

  // The project page shows the stored values in its form.
  await page.goto(`/o/${org.slug}/projects`);
  await page.getByRole("link", { name: project.name }).click();
  await expect(page.getByRole("heading", { name: project.name })).toBeVisible();
  await expect(page.getByLabel("Hourly rate")).toHaveValue("120.50");
  await expect(page.getByLabel("Budget (hours)")).toHaveValue("40");
  await expect(page.getByLabel("Client")).toHaveValue(clientId);

  // Archive the client from the list: the button calls tRPC from the browser, then the list reloads.
  await page.goto(`/o/${org.slug}/clients`);
  const row = page.getByRole("row").filter({ hasText: client.name });
  await expect(row).toHaveCount(1);
  await snap(page, testInfo, "clients-before-archive");
  const archived = page.waitForResponse((r) => r.url().includes("/api/trpc/clients.setArchived") && r.request().method() === "POST");
  await row.getByRole("button", { name: "Archive" }).click();
  expect((await archived).status()).toBe(200);
  await expect(page.getByRole("row").filter({ hasText: client.name })).toHaveCount(0);
  await expect(page.getByText("No clients yet.")).toBeVisible();
  await snap(page, testInfo, "client-archived");
  // Stored on the server, not just hidden in this page.
  await page.reload();
  await expect(page.getByText("No clients yet.")).toBeVisible();

  await page.getByLabel("Show archived").check();
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/[?&]archived=1/);
  const archivedRow = page.getByRole("row").filter({ hasText: client.name });
  await expect(archivedRow).toContainText("(archived)");
  await expect(archivedRow.getByRole("button", { name: "Restore" })).toBeVisible();
  await snap(page, testInfo, "show-archived");

  // And back again.
  const restored = page.waitForResponse((r) => r.url().includes("/api/trpc/clients.setArchived") && r.request().method() === "POST");
  await archivedRow.getByRole("button", { name: "Restore" }).click();
  expect((await restored).status()).toBe(200);
  await expect(archivedRow.getByRole("button", { name: "Archive" })).toBeVisible();
  await expect(archivedRow).not.toContainText("(archived)");
});

test("a second user cannot see or reach the first organisation", async ({ page, browser }, testInfo) => {
  expect(clientId, "the journey test must have created the client").not.toBe("");
  await signUp(page, grace);
  const link = await waitForLink(grace.email, { pathname: "/verify" });
  await page.goto(link);
  await page.getByRole("button", { name: "Confirm my email" }).click();
  await expect(page.getByRole("heading", { name: "Email confirmed" })).toBeVisible();

  // Her own, empty list; nothing of the first organisation on it.
  await page.goto("/orgs");
  await expect(page.getByRole("heading", { name: "Your organisations" })).toBeVisible();
  await expect(page.getByText("You are not a member of any organisation yet.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Create organisation" })).toBeEnabled();
  const body = page.locator("body");
  await expect(body).not.toContainText(client.name);
  await expect(body).not.toContainText(org.name);
  await expect(body).not.toContainText(org.slug);
  await snap(page, testInfo, "second-user-orgs");

  // The first organisation's pages answer 404, exactly like a slug that does not exist.
  for (const path of [`/o/${org.slug}`, `/o/${org.slug}/clients`, `/o/${org.slug}/clients/${clientId}`, "/o/no-such-org"]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(404);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("404");
    await expect(page.getByText("Organisation not found.")).toBeVisible();
    await expect(body).not.toContainText(client.name);
    await expect(body).not.toContainText(org.name);
    if (path === `/o/${org.slug}/clients`) await snap(page, testInfo, "second-user-404");
  }

  // The API refuses too, with her session cookie: no data, same 404.
  const list = await page.request.get(`/api/trpc/clients.list?input=${encodeURIComponent(JSON.stringify({ org: org.slug }))}`);
  expect(list.status()).toBe(404);
  expect(await list.text()).not.toContain(client.name);
  const origin = new URL(page.url()).origin;
  const archive = await page.request.post("/api/trpc/clients.setArchived", {
    headers: { origin, "content-type": "application/json" },
    data: { org: org.slug, id: clientId, archived: true },
  });
  expect(archive.status()).toBe(404);
  expect(await archive.text()).not.toContain(client.name);

  // The refused call changed nothing: the owner still sees the client, not archived.
  const owner = await browser.newContext({ baseURL: testInfo.project.use.baseURL });
  try {
    const ownerPage = await owner.newPage();
    await ownerPage.goto(`/o/${org.slug}/clients`);
    await logIn(ownerPage, ada);
    await expect(ownerPage).toHaveURL(new RegExp(`/o/${org.slug}/clients$`));
    const row = ownerPage.getByRole("row").filter({ hasText: client.name });
    await expect(row).toHaveCount(1);
    await expect(row).not.toContainText("(archived)");
    await expect(row.getByRole("button", { name: "Archive" })).toBeVisible();
  } finally {
    await owner.close();
  }
});

test("markup typed into a form is shown as text, never run", async ({ page }, testInfo) => {
  const nasty = `<img src=x onerror="window.__pwned=1"> & "quotes" <script>window.__pwned=2</script>`;
  await logIn(page, ada);
  await expect(page).toHaveURL(/\/orgs$/);
  await page.goto(`/o/${org.slug}/clients/new`);
  await page.getByLabel("Name", { exact: true }).fill(nasty);
  await page.getByLabel("Notes", { exact: true }).fill(nasty);
  await page.getByRole("button", { name: "Create client" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${org.slug}/clients$`));
  const link = page.getByRole("link", { name: nasty, exact: true });
  await expect(link).toBeVisible();
  await link.click();
  await expect(page.getByRole("heading", { name: nasty, exact: true })).toBeVisible();
  await expect(page.getByLabel("Notes", { exact: true })).toHaveValue(nasty);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(await page.locator("img[src='x']").count()).toBe(0);
  await snap(page, testInfo, "markup-as-text");
});
