import { expect, test, type Page } from "@playwright/test";
import { signUpWithOrg, snap, type Person } from "./helpers/app";

/**
 * A data subject request in the browser: the owner searches for a person's address, sees every
 * match (a longer address that only contains it is not one), chooses one, reviews exactly what will
 * change, and redacts it; the unchosen match is still there when searching again.
 */
const run = Date.now().toString(36);
const owner: Person = { name: "Dana Owner", email: `dana-${run}@dsr-e2e.example`, password: "harbour-lantern-pebble-73" };
const org = { name: "Careful Agency", slug: `careful-${run}` };
const person = `erika-${run}@victimcorp.example`;

const orgNav = (page: Page) => page.getByRole("navigation", { name: "Organisation" });

async function newClient(page: Page, name: string, contactEmail: string, notes: string) {
  await orgNav(page).getByRole("link", { name: "Clients", exact: true }).click();
  await page.getByRole("link", { name: "New client" }).click();
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Contact email", { exact: true }).fill(contactEmail);
  await page.getByLabel("Notes", { exact: true }).fill(notes);
  await page.getByRole("button", { name: "Create client" }).click();
  await expect(page.getByRole("link", { name, exact: true })).toBeVisible();
}

test("the owner finds a person's address, reviews the change and redacts only what was chosen", async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  await signUpWithOrg(page, owner, org);
  await newClient(page, "Victim Corp", person, `Main contact: ${person}. Billing: info-${person}`);
  await newClient(page, "Other Corp", `info-${person}`, `Ask ${person} first.`);

  await orgNav(page).getByRole("link", { name: "Data subject requests", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Data subject requests" })).toBeVisible();
  await page.getByLabel("Email address or name").fill(person.toUpperCase());
  await page.getByRole("button", { name: "Search" }).click();

  const matches = page.getByRole("form", { name: "Matches" });
  // Victim Corp's contact and notes, Other Corp's notes; never Other Corp's longer address.
  await expect(matches.getByRole("heading")).toHaveText("3 matches");
  await expect(matches.getByRole("row").filter({ hasText: "Client contact email" })).toHaveCount(1);
  await snap(page, testInfo, "matches");

  const contact = matches.getByRole("row").filter({ hasText: "Client contact email" });
  await contact.getByRole("checkbox").check();
  await page.getByLabel("Replace with").fill("[gone]");
  await page.getByRole("button", { name: "Review the change" }).click();

  const review = page.getByRole("form", { name: "Confirm the redaction" });
  await expect(review.getByRole("row")).toHaveCount(2);
  await expect(review.getByRole("row").nth(1)).toContainText("[gone]");
  await snap(page, testInfo, "review");
  await review.getByRole("button", { name: "Redact 1 field" }).click();
  await expect(page.getByRole("status").first()).toContainText("Redacted 1 field.");
  await snap(page, testInfo, "done");

  await page.getByRole("link", { name: "Search again to check what remains" }).click();
  await expect(page.getByRole("form", { name: "Matches" }).getByRole("heading")).toHaveText("2 matches");
  await expect(page.getByRole("form", { name: "Matches" }).getByRole("row").filter({ hasText: "Client contact email" })).toHaveCount(0);
});
