import { spawnSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import { logIn, signUpWithOrg, snap, type Person } from "./helpers/app";

/**
 * Support access end to end: the owner grants a one-hour read-only link, a staff member redeems it,
 * reads, is refused a write, the owner watches and revokes, and the staff member's next page is refused.
 */
test.describe.configure({ mode: "serial" });

const owner: Person = { name: "Olga Owner", email: "olga@support-e2e.example", password: "saffron-kettle-orbit-63" };
const staff: Person = { name: "Sam Support", email: "sam@ops.example", password: "indigo-ferry-mosaic-29" };
const org = { name: "Initech Partners", slug: "initech-partners" };

/** Staff accounts are made by the operator CLI, against the server's own data directory. */
function createStaffWithCli() {
  const run = spawnSync(
    "npx",
    ["tsx", "server/cli/main.ts", "user", "create-staff", "--email", staff.email, "--name", staff.name, "--password-stdin"],
    {
      env: { ...process.env, DATA_DIR: process.env.E2E_DATA_DIR },
      input: `${staff.password}\n`,
      encoding: "utf8",
    },
  );
  expect(run.status, run.stderr).toBe(0);
}

test("owner grants read-only support; staff reads, is refused a write; owner sees it and revokes", async ({ page, browser }, testInfo) => {
  test.setTimeout(120_000);
  // The owner's organisation with one client and one project.
  await signUpWithOrg(page, owner, org);
  await page.goto(`/o/${org.slug}/clients/new`);
  await page.getByLabel("Name", { exact: true }).fill("Globex");
  await page.getByRole("button", { name: "Create client" }).click();
  // Navigating before the action answers would race the client's creation.
  await expect(page).toHaveURL(new RegExp(`/o/${org.slug}/clients$`));
  await page.goto(`/o/${org.slug}/projects/new`);
  await page.getByLabel("Client", { exact: true }).selectOption({ label: "Globex" });
  await page.getByLabel("Name", { exact: true }).fill("Customer portal");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("link", { name: "Customer portal" })).toBeVisible();

  // A one-hour read-only grant; the link is shown once.
  await page.getByRole("navigation", { name: "Organisation" }).getByRole("link", { name: "Support access", exact: true }).click();
  await page.getByLabel("Scope", { exact: true }).selectOption("read");
  await page.getByLabel("Duration", { exact: true }).selectOption("1");
  await page.getByLabel("Reason", { exact: true }).fill("Ticket 4711: project list shows the wrong rate");
  await page.getByRole("button", { name: "Create support link" }).click();
  const link = await page.getByLabel("Support link").inputValue();
  expect(link).toMatch(/\/support\/open\?token=[A-Za-z0-9_-]{43}$/);
  await snap(page, testInfo, "owner-grant-created");
  await page.reload();
  await expect(page.getByLabel("Support link")).toHaveCount(0);

  // Staff: log in, open the link, confirm the reason.
  createStaffWithCli();
  const staffContext = await browser.newContext();
  const sp = await staffContext.newPage();
  await sp.goto("/login");
  await logIn(sp, staff);
  await expect(sp).toHaveURL(/\/orgs$/);
  await sp.goto(link);
  await expect(sp).toHaveURL(/\/support\/confirm$/);
  await expect(sp.getByText("Ticket 4711: project list shows the wrong rate")).toBeVisible();
  await snap(sp, testInfo, "staff-confirm");
  await sp.getByLabel("I have read the reason and will act only on it").check();
  await sp.getByRole("button", { name: "Enter organisation" }).click();
  await expect(sp).toHaveURL(new RegExp(`/o/${org.slug}$`));
  await expect(sp.getByRole("status").filter({ hasText: "Support session in" })).toContainText("read only");

  // Reads work; a write is refused with a sentence.
  const orgNav = sp.getByRole("navigation", { name: "Organisation" });
  await orgNav.getByRole("link", { name: "Projects", exact: true }).click();
  await expect(sp.getByRole("link", { name: "Customer portal" })).toBeVisible();
  await snap(sp, testInfo, "staff-reads-projects");
  await orgNav.getByRole("link", { name: "Clients", exact: true }).click();
  await sp.getByRole("link", { name: "Globex" }).click();
  await sp.getByLabel("Name", { exact: true }).fill("Globex (edited by support)");
  await sp.getByRole("button", { name: "Save" }).click();
  await expect(sp.getByRole("alert")).toContainText("read-only");
  await snap(sp, testInfo, "staff-write-refused");

  // The owner sees support inside, with what it did, and revokes.
  await page.goto(`/o/${org.slug}`);
  const activity = page.getByRole("region", { name: "Support activity" });
  await expect(activity).toContainText("Support is in your organisation now");
  await expect(activity).toContainText("Sam Support");
  await expect(activity).toContainText("support.mutation");
  await snap(page, testInfo, "owner-sees-support");
  await page.goto(`/o/${org.slug}/settings/support`);
  await expect(page.getByRole("cell", { name: /Sam Support/ })).toBeVisible();
  await page.getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByRole("cell", { name: "Revoked" })).toBeVisible();

  // The staff member's very next navigation is refused.
  await sp.goto(`/o/${org.slug}/projects`);
  await expect(sp.getByText("Organisation not found.")).toBeVisible();
  await expect(sp.getByRole("status").filter({ hasText: "Support session in" })).toHaveCount(0);
  await snap(sp, testInfo, "staff-after-revoke");
  await staffContext.close();

  // The client is unchanged.
  await page.goto(`/o/${org.slug}/clients`);
  await expect(page.getByRole("link", { name: "Globex", exact: true })).toBeVisible();
});
