import { expect, test, type Page } from "@playwright/test";
import { logIn, signUpWithOrg, snap, type Person } from "./helpers/app";
import { waitForLink } from "./helpers/outbox";

/**
 * Access control end to end: the owner makes a custom role in the matrix, shares one of two projects
 * with it, and invites a colleague with it; the colleague joins from the emailed link and sees exactly
 * what the role allows; once removed, their next page is refused. Own accounts with unique addresses,
 * so it does not depend on the other specs or their order.
 */
const run = Date.now().toString(36);
const owner: Person = { name: "Rhea Owner", email: `rhea-${run}@access-e2e.example`, password: "saffron-harbour-quiver-71" };
const colleague: Person = { name: "Cole Reviewer", email: `cole-${run}@access-e2e.example`, password: "marble-lantern-orchid-74" };
const org = { name: "Lumen Studio", slug: `lumen-${run}` };
const shared = "Brand refresh";
const hidden = "Secret roadmap";
const REVIEWER_PERMISSIONS = ["Open the organisation", "See the projects shared with them", "See tasks", "See clients", "See members"];

const orgNav = (page: Page) => page.getByRole("navigation", { name: "Organisation" });

async function createProject(page: Page, name: string) {
  await page.goto(`/o/${org.slug}/projects/new`);
  await page.getByLabel("Client", { exact: true }).selectOption({ label: "Northwind" });
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("link", { name, exact: true })).toBeVisible();
}

async function invite(page: Page, email: string, role: string) {
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Role", { exact: true }).selectOption({ label: role });
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByRole("status")).toHaveText(`Invitation sent to ${email}.`);
}

test("a custom role, one shared project and an invitation: the colleague sees exactly what the role allows", async ({
  page,
  browser,
}, testInfo) => {
  test.setTimeout(150_000);

  // The owner: account, organisation, a client and two projects.
  await signUpWithOrg(page, owner, org);
  await page.goto(`/o/${org.slug}/clients/new`);
  await page.getByLabel("Name", { exact: true }).fill("Northwind");
  await page.getByRole("button", { name: "Create client" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${org.slug}/clients$`));
  await createProject(page, shared);
  await createProject(page, hidden);

  // Organisation settings are kept.
  await orgNav(page).getByRole("link", { name: "Settings", exact: true }).click();
  await page.getByLabel("Time zone", { exact: true }).selectOption("Europe/Berlin");
  await page.getByLabel("Week starts on", { exact: true }).selectOption({ label: "Sunday" });
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status")).toHaveText("Settings saved.");
  await page.reload();
  await expect(page.getByLabel("Time zone", { exact: true })).toHaveValue("Europe/Berlin");
  await expect(page.getByLabel("Week starts on", { exact: true })).toHaveValue("7");

  // The custom role, ticked in the matrix.
  await orgNav(page).getByRole("link", { name: "Roles", exact: true }).click();
  await page.getByRole("link", { name: "New role" }).click();
  await page.getByLabel("Role name", { exact: true }).fill("Reviewer");
  await page.getByLabel("Description", { exact: true }).fill("Reads the projects shared with reviewers.");
  for (const label of REVIEWER_PERMISSIONS) await page.getByLabel(label, { exact: true }).check();
  await snap(page, testInfo, "role-matrix-editing");
  await page.getByRole("button", { name: "Create role" }).click();
  await expect(page.getByRole("status")).toHaveText("Role “Reviewer” saved.");
  const roleRow = page.getByRole("row").filter({ hasText: "Reads the projects shared with reviewers." });
  await expect(roleRow.getByRole("cell")).toHaveText([
    "Reviewer",
    "Reads the projects shared with reviewers.",
    "0",
    String(REVIEWER_PERMISSIONS.length),
    /Edit/,
  ]);
  await expect(page.getByRole("columnheader", { name: "Reviewer" }).first()).toBeVisible();
  // Edited in place: one more box ticked in its own column.
  await roleRow.getByRole("link", { name: "Edit Reviewer" }).click();
  await expect(page.getByLabel("Read comments", { exact: true })).not.toBeChecked();
  await expect(page.getByLabel("See tasks", { exact: true })).toBeChecked();
  await page.getByLabel("Read comments", { exact: true }).check();
  await page.getByRole("button", { name: "Save role" }).click();
  await expect(page.getByRole("status")).toHaveText("Role “Reviewer” saved.");
  await expect(roleRow.getByRole("cell").nth(3)).toHaveText(String(REVIEWER_PERMISSIONS.length + 1));

  // Share one project with the role.
  await orgNav(page).getByRole("link", { name: "Projects", exact: true }).click();
  await page.getByRole("link", { name: shared, exact: true }).click();
  const sharing = page.getByRole("region", { name: "Sharing" });
  await sharing.getByLabel("Share with").selectOption({ label: "Reviewer" });
  await sharing.getByRole("button", { name: "Share", exact: true }).click();
  await expect(sharing.getByRole("row").filter({ hasText: "Reviewer" }).getByRole("cell")).toHaveText(["Role", "Reviewer", "Remove"]);
  await snap(page, testInfo, "project-shared");

  // Invite the colleague with it.
  await orgNav(page).getByRole("link", { name: "Members", exact: true }).click();
  await invite(page, colleague.email, "Reviewer");
  await expect(page.getByRole("table", { name: "Invitations" }).getByRole("row").filter({ hasText: colleague.email })).toContainText(
    "Pending",
  );
  await snap(page, testInfo, "owner-members");

  // The colleague opens the emailed link and creates an account there.
  const colleagueContext = await browser.newContext();
  const cp = await colleagueContext.newPage();
  const invitation = await waitForLink(colleague.email, { pathname: "/invite" });
  await cp.goto(invitation);
  await expect(cp.getByRole("heading", { name: `Join ${org.name}` })).toBeVisible();
  await expect(cp.locator("dl.facts")).toContainText("Reviewer");
  await expect(cp.locator("dl.facts")).toContainText(owner.name);
  await snap(cp, testInfo, "invite-page");
  await cp.getByLabel("Your name", { exact: true }).fill(colleague.name);
  await cp.getByLabel("Password", { exact: true }).fill(colleague.password);
  await cp.getByRole("button", { name: "Create account and join" }).click();
  await expect(cp).toHaveURL(new RegExp(`/o/${org.slug}$`));

  // Exactly what the role allows: the navigation…
  const nav = orgNav(cp);
  for (const link of ["Clients", "Projects", "Members"]) await expect(nav.getByRole("link", { name: link, exact: true })).toBeVisible();
  for (const link of ["Roles", "Audit log", "Invoices", "Reports", "Time", "Settings", "Support access"])
    await expect(nav.getByRole("link", { name: link, exact: true })).toHaveCount(0);
  // …the shared project and not the other…
  await nav.getByRole("link", { name: "Projects", exact: true }).click();
  await expect(cp.getByRole("link", { name: shared, exact: true })).toBeVisible();
  await expect(cp.getByText(hidden)).toHaveCount(0);
  await cp.screenshot({ path: testInfo.outputPath("restricted-view.png"), fullPage: true });
  await testInfo.attach("restricted-view", { path: testInfo.outputPath("restricted-view.png"), contentType: "image/png" });
  await cp.getByRole("link", { name: shared, exact: true }).click();
  await expect(cp.getByRole("heading", { name: shared })).toBeVisible();
  await expect(cp.getByRole("region", { name: "Sharing" })).toHaveCount(0);
  // …the member list without any way to manage it…
  await nav.getByRole("link", { name: "Members", exact: true }).click();
  await expect(cp.getByRole("row").filter({ hasText: owner.email })).toBeVisible();
  await expect(cp.getByRole("row").filter({ hasText: colleague.email })).toContainText("Reviewer");
  await expect(cp.getByRole("button", { name: "Send invitation" })).toHaveCount(0);
  await expect(cp.getByRole("combobox")).toHaveCount(0);
  await expect(cp.getByText("Remove…")).toHaveCount(0);
  await snap(cp, testInfo, "restricted-members");
  // …and a page the role does not include is refused even by its address.
  const audit = await cp.goto(`/o/${org.slug}/audit`);
  expect(audit?.status()).toBe(403);

  // The link worked once; refusals from the API read as sentences.
  await page.goto(invitation);
  await expect(page.getByRole("alert")).toHaveText("This invitation has already been used.");
  await page.goto(`/o/${org.slug}/roles`);
  await page.getByText("Delete…").click();
  await page.getByRole("button", { name: "Delete Reviewer" }).click();
  await expect(page.getByRole("alert")).toHaveText("1 member has this role; give them another role first.");
  await orgNav(page).getByRole("link", { name: "Members", exact: true }).click();
  await page.getByText("Leave organisation…").click();
  await page.getByRole("button", { name: "Leave organisation" }).click();
  await expect(page.getByRole("alert")).toContainText("this is the organisation's last owner");

  // The owner removes the colleague; their very next page is refused.
  const memberRow = page.getByRole("table", { name: "Members" }).getByRole("row").filter({ hasText: colleague.email });
  await memberRow.getByText("Remove…").click();
  await memberRow.getByRole("button", { name: `Remove ${colleague.name}` }).click();
  await expect(memberRow).toHaveCount(0);
  await expect(page.getByRole("table", { name: "Invitations" }).getByRole("row").filter({ hasText: colleague.email })).toContainText(
    "Accepted",
  );
  const gone = await cp.goto(`/o/${org.slug}/projects`);
  expect(gone?.status()).toBe(404);
  await expect(cp.getByText("Organisation not found.")).toBeVisible();
  await snap(cp, testInfo, "after-removal");

  // Invited again (now as Member), with an account: another signed-in person is told whose link it is…
  const since = Date.now();
  await invite(page, colleague.email, "Member");
  const again = await waitForLink(colleague.email, { pathname: "/invite", since });
  expect(again).not.toBe(invitation);
  await page.goto(again);
  await expect(page.getByText(`You are logged in as ${owner.email}, but this invitation is for ${colleague.email}.`)).toBeVisible();
  await expect(page.getByRole("button", { name: "Log out" }).first()).toBeVisible();
  // …and the colleague, logged out, logs in from the page and comes back to accept.
  await cp.goto("/orgs");
  await cp.getByRole("banner").getByRole("button", { name: "Log out" }).click();
  await expect(cp).toHaveURL(/\/login$/);
  await cp.goto(again);
  await cp.getByRole("link", { name: "Log in to accept" }).click();
  await expect(cp).toHaveURL(/\/login\?next=%2Finvite%3Ftoken%3D/);
  await logIn(cp, colleague);
  await expect(cp).toHaveURL(/\/invite\?token=/);
  await cp.getByRole("button", { name: `Accept and join ${org.name}` }).click();
  await expect(cp).toHaveURL(new RegExp(`/o/${org.slug}$`));
  await expect(orgNav(cp).getByRole("link", { name: "Members", exact: true })).toBeVisible();
  await expect(orgNav(cp).getByRole("link", { name: "Roles", exact: true })).toHaveCount(0);
  await colleagueContext.close();

  // A revoked invitation's link stops working.
  const dana = `dana-${run}@access-e2e.example`;
  await page.goto(`/o/${org.slug}/members`);
  await invite(page, dana, "Reviewer");
  const danaLink = await waitForLink(dana, { pathname: "/invite" });
  const danaRow = page.getByRole("table", { name: "Invitations" }).getByRole("row").filter({ hasText: dana });
  await danaRow.getByRole("button", { name: "Revoke" }).click();
  await expect(danaRow).toContainText("Revoked");
  await page.goto(danaLink);
  await expect(page.getByRole("alert")).toHaveText("Invitation not found.");
});
