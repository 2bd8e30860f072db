import { readFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { createClientProjectTask, logIn, signUp, signUpWithOrg, snap, type Person } from "./helpers/app";
import { waitForLink } from "./helpers/outbox";

/**
 * The privacy promises in the browser: an organisation export prepared in the background and
 * downloaded, the daily digest opt-in, closing an organisation and restoring it within its grace
 * period, and a person downloading their data and deleting their account. Own accounts and
 * organisation with unique names, so it does not depend on other specs.
 */
const run = Date.now().toString(36);
const owner: Person = { name: "Priya Owner", email: `priya-${run}@privacy-e2e.example`, password: "lantern-meadow-quartz-58" };
const leaver: Person = { name: "Leo Leaving", email: `leo-${run}@privacy-e2e.example`, password: "saffron-harbour-violet-41" };
const org = { name: "Quiet Harbour", slug: `harbour-${run}` };
const client = `Client ${run}`;
const project = `Harbour site ${run}`;
const task = "Chart the new moorings";

const orgNav = (page: Page) => page.getByRole("navigation", { name: "Organisation" });

test("organisation export downloads as a ZIP with a manifest; digest opt-in; close and restore within the grace period", async ({
  page,
}, testInfo) => {
  test.setTimeout(120_000);
  await signUpWithOrg(page, owner, org);
  await createClientProjectTask(page, { client, project, task });

  // The project's activity report: the last 7 days by default, today's task among them.
  await orgNav(page).getByRole("link", { name: "Projects", exact: true }).click();
  await page.getByRole("link", { name: project, exact: true }).click();
  await page.getByRole("link", { name: "Activity report" }).click();
  await expect(page.getByRole("heading", { name: `Activity report: ${project}` })).toBeVisible();
  const created = page.getByRole("region", { name: "Tasks created" });
  await expect(created.getByRole("heading")).toHaveText("Tasks created: 1");
  await expect(created.getByRole("link", { name: task })).toBeVisible();
  await snap(page, testInfo, "activity-report");

  // Export: queued in the background, the list refreshes itself until it is ready.
  await orgNav(page).getByRole("link", { name: "Export", exact: true }).click();
  await expect(page.getByText("No exports yet.")).toBeVisible();
  await page.getByRole("button", { name: "Export organisation data" }).click();
  const exports = page.getByRole("table", { name: "Exports" });
  await expect(exports.getByRole("row").nth(1)).toContainText("Ready", { timeout: 30_000 });
  await snap(page, testInfo, "export-ready");
  const [download] = await Promise.all([page.waitForEvent("download"), exports.getByRole("link", { name: "Download" }).click()]);
  expect(download.suggestedFilename()).toMatch(/\.zip$/);
  const zip = readFileSync(await download.path());
  expect(zip.subarray(0, 2).toString("latin1")).toBe("PK");
  // Entry names sit uncompressed in a ZIP's directory: the manifest and the clients table are there.
  expect(zip.includes("manifest.json")).toBe(true);
  expect(zip.includes("clients.json")).toBe(true);

  // Daily digest: opting in is remembered.
  await orgNav(page).getByRole("link", { name: "Daily digest", exact: true }).click();
  const optIn = page.getByLabel("Email me a daily digest");
  await expect(optIn).not.toBeChecked();
  await optIn.check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("You will get the digest.");
  await page.reload();
  await expect(page.getByLabel("Email me a daily digest")).toBeChecked();

  // Closing needs the address typed exactly; a wrong one changes nothing.
  await orgNav(page).getByRole("link", { name: "Close organisation", exact: true }).click();
  const confirm = page.getByLabel(`Type the organisation's address (${org.slug}) to confirm`);
  await confirm.fill(`${org.slug}-typo`);
  await page.getByRole("button", { name: "Close the organisation" }).click();
  await expect(page.getByRole("alert").first()).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`/o/${org.slug}/settings/terminate$`));
  await page.getByLabel(`Type the organisation's address (${org.slug}) to confirm`).fill(org.slug);
  await page.getByRole("button", { name: "Close the organisation" }).click();
  await expect(page).toHaveURL(/\/orgs\?closed=/);
  await expect(page.getByRole("status")).toContainText(`/o/${org.slug} was closed`);
  const closedRow = page.getByRole("row").filter({ hasText: org.name });
  await expect(closedRow).toHaveCount(1);
  await snap(page, testInfo, "closed");

  // Nobody gets in while it is closed, its owner included.
  const inside = await page.request.get(`/o/${org.slug}`);
  expect(inside.status()).toBe(404);

  // Restored within the grace period, with its data as it was.
  await closedRow.getByRole("button", { name: "Restore" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${org.slug}$`));
  await orgNav(page).getByRole("link", { name: "Clients", exact: true }).click();
  await expect(page.getByRole("row").filter({ hasText: client })).toHaveCount(1);
});

test("a person downloads their data, then deletes their account and can no longer log in", async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  await signUp(page, leaver);
  await page.goto(await waitForLink(leaver.email, { pathname: "/verify" }));
  await page.getByRole("button", { name: "Confirm my email" }).click();
  await expect(page.getByRole("heading", { name: "Email confirmed" })).toBeVisible();

  await page.goto("/account");
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download my data" }).click()]);
  const personal = JSON.parse(readFileSync(await download.path(), "utf8")) as unknown;
  expect(JSON.stringify(personal)).toContain(leaver.email);
  expect(JSON.stringify(personal)).not.toContain(owner.email);

  // A wrong password deletes nothing.
  await page.getByLabel("Your password", { exact: true }).fill("not-my-password-at-all");
  await page.getByLabel(`Type your email address (${leaver.email}) to confirm`).fill(leaver.email);
  await page.getByRole("button", { name: "Delete my account" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("alert").first()).toBeVisible();

  await page.getByLabel("Your password", { exact: true }).fill(leaver.password);
  await page.getByLabel(`Type your email address (${leaver.email}) to confirm`).fill(leaver.email);
  await page.getByRole("button", { name: "Delete my account" }).click();
  await expect(page).toHaveURL(/\/login\?deleted=1$/);
  await expect(page.getByText("Your account was deleted.")).toBeVisible();
  await snap(page, testInfo, "deleted");

  // The old credentials open nothing, and the old session is gone.
  await logIn(page, leaver);
  await expect(page).toHaveURL(/\/login/);
  expect((await page.request.get("/account", { maxRedirects: 0 })).status()).toBe(302);
});
