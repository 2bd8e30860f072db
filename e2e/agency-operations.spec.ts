import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { signUpWithOrg, type Person } from "./helpers/app";

/**
 * The agency's working day end to end, through the UI: a project with tasks on the board, one task
 * moved across statuses, the timer run (and surviving a reload), a manual entry, an invoice made from
 * the unbilled time, issued, paid in full and printed, and the month's report with its chart. Own
 * account and organisation with unique names, so it does not depend on the other specs or their order.
 */
const run = Date.now().toString(36);
const owner: Person = { name: "Ada Agency", email: `ada-${run}@ops-e2e.example`, password: "copper-meadow-violin-58" };
const org = { name: "Fieldnote Studio", slug: `fieldnote-${run}` };
const client = "Acme Bakery";
const project = "Website relaunch";
const tasks = [
  { title: "Collect brand assets", status: "Backlog" },
  { title: "Homepage wireframes", status: "To do" },
  { title: "Set up staging site", status: "In progress" },
];
const moved = tasks[1]!;

/**
 * Days, weeks and invoice years follow the organisation's time zone. So that "today" has a stretch
 * of past hours for the manual entry and hours left for the rest of the journey, the organisation is
 * put in a zone where it is between 10:00 and 16:00 now. The candidates are at most 5½ hours apart,
 * so one of them always fits that six-hour window.
 */
const ZONES = ["UTC", "Asia/Kolkata", "Asia/Tokyo", "Pacific/Honolulu", "America/New_York"];
const localHour = (zone: string) =>
  Number(new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", hourCycle: "h23" }).format(new Date()));
const localDate = (zone: string) =>
  new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());

const orgNav = (page: Page) => page.getByRole("navigation", { name: "Organisation" });

// Recharts skips its grow-in animation for reduced motion, so the chart is drawn (and shot) at its final size.
test.use({ reducedMotion: "reduce" });

async function shot(page: Page, testInfo: TestInfo, name: string) {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

test("project, tasks on the board, timer, manual time, invoice issued and paid, report chart", async ({ page }, testInfo) => {
  test.setTimeout(150_000);
  const zone = ZONES.find((z) => localHour(z) >= 10 && localHour(z) < 16)!;
  expect(zone, "one candidate zone is always between 10:00 and 16:00").toBeTruthy();

  await test.step("owner signs up, confirms the email and creates an organisation", async () => {
    await signUpWithOrg(page, owner, org);

    await orgNav(page).getByRole("link", { name: "Settings", exact: true }).click();
    await page.getByLabel("Time zone", { exact: true }).selectOption(zone);
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.getByRole("status")).toHaveText("Settings saved.");
  });

  await test.step("a client and a project with an hourly rate", async () => {
    await orgNav(page).getByRole("link", { name: "Clients", exact: true }).click();
    await page.getByRole("link", { name: "New client" }).click();
    await page.getByLabel("Name", { exact: true }).fill(client);
    await page.getByRole("button", { name: "Create client" }).click();
    await expect(page.getByRole("link", { name: client, exact: true })).toBeVisible();

    await orgNav(page).getByRole("link", { name: "Projects", exact: true }).click();
    await page.getByRole("link", { name: "New project" }).click();
    await page.getByLabel("Client", { exact: true }).selectOption({ label: client });
    await page.getByLabel("Name", { exact: true }).fill(project);
    await page.getByLabel("Hourly rate", { exact: true }).fill("80");
    await page.getByLabel("Budget (hours)", { exact: true }).fill("40");
    await page.getByRole("button", { name: "Create project" }).click();
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: project, exact: true }) });
    await expect(row.getByRole("cell")).toHaveText([project, "—", client, "Active", "€80.00", "40 h"]);
  });

  await test.step("three tasks in the project", async () => {
    for (const task of tasks) {
      await orgNav(page).getByRole("link", { name: "Tasks", exact: true }).click();
      await page.getByRole("link", { name: "New task", exact: true }).click();
      await page.getByLabel("Project", { exact: true }).selectOption({ label: `${project} (${client})` });
      await page.getByLabel("Title", { exact: true }).fill(task.title);
      await page.getByLabel("Status", { exact: true }).selectOption({ label: task.status });
      await page.getByRole("button", { name: "Create task" }).click();
      await expect(page.getByRole("heading", { name: task.title })).toBeVisible();
    }
  });

  const column = (status: string) => page.getByRole("region", { name: status, exact: true });
  const card = (status: string, title: string) => column(status).getByRole("link", { name: title, exact: true });

  await test.step("the board shows each task in its status column", async () => {
    await orgNav(page).getByRole("link", { name: "Board", exact: true }).click();
    await expect(page.getByRole("heading", { name: "Board", level: 1 })).toBeVisible();
    for (const task of tasks) await expect(card(task.status, task.title)).toBeVisible();
    await expect(column("Done").getByRole("article")).toHaveCount(0);
    await shot(page, testInfo, "board-before-move");
  });

  await test.step("one task moves To do → In progress → Done", async () => {
    for (const [from, to] of [
      ["To do", "In progress"],
      ["In progress", "Done"],
    ] as const) {
      const article = column(from)
        .getByRole("article")
        .filter({ has: page.getByRole("link", { name: moved.title, exact: true }) });
      await article.getByLabel(`Move “${moved.title}” to`).selectOption({ label: to });
      await article.getByRole("button", { name: "Move" }).click();
      await expect(card(to, moved.title)).toBeVisible();
      await expect(card(from, moved.title)).toHaveCount(0);
    }
    // The others stayed where they were.
    await expect(card("Backlog", tasks[0]!.title)).toBeVisible();
    await expect(card("In progress", tasks[2]!.title)).toBeVisible();
    await expect(column("Done").getByRole("heading")).toContainText("1");
    // Five columns are wider than the page: the board scrolls sideways, so bring "Done" into the shot.
    await card("Done", moved.title).scrollIntoViewIfNeeded();
    await expect(card("Done", moved.title)).toBeInViewport();
    await shot(page, testInfo, "board");
  });

  const runningTimer = orgNav(page).getByRole("form", { name: "Running timer" });

  await test.step("the timer runs, survives a reload in the header and stops", async () => {
    await orgNav(page).getByRole("link", { name: "Time", exact: true }).click();
    await expect(page.getByRole("heading", { name: "Time", level: 1 })).toBeVisible();
    await expect(runningTimer).toHaveCount(0);
    const start = page.getByRole("form", { name: "Start a timer" });
    await start.getByLabel("Project for the timer").selectOption({ label: `${client}: ${project}` });
    await start.getByLabel("Timer note").fill("Kick-off call");
    // Internal time: not billed, so the invoice below holds exactly the manual entry.
    await start.getByLabel("Billable").uncheck();
    await start.getByRole("button", { name: "Start timer" }).click();
    await expect(runningTimer).toContainText(project);
    await expect(runningTimer).toContainText(/\d+:\d{2}:\d{2}/);
    await expect(page.getByRole("row").filter({ hasText: "Kick-off call" })).toContainText("running");

    await page.reload();
    await expect(runningTimer).toContainText(project);
    await expect(runningTimer.getByRole("button", { name: "Stop" })).toBeEnabled();
    // A timer stopped inside its first second recorded nothing and is dropped (ADR 016): let it tick.
    await expect(runningTimer).not.toContainText(/(^|\D)0:00:00/);
    await runningTimer.getByRole("button", { name: "Stop" }).click();
    await expect(runningTimer).toHaveCount(0);
    const stopped = page.getByRole("row").filter({ hasText: "Kick-off call" });
    await expect(stopped).not.toContainText("running");
    await expect(stopped).toContainText("(not billable)");
  });

  await test.step("a billable manual entry: today 07:00–08:30", async () => {
    const form = page.getByRole("form", { name: "Add time" });
    await form.getByLabel("Project", { exact: true }).selectOption({ label: `${client}: ${project}` });
    await expect(form.getByLabel("Date", { exact: true })).toHaveValue(localDate(zone));
    await form.getByLabel("Start", { exact: true }).fill("07:00");
    await form.getByLabel("End", { exact: true }).fill("08:30");
    await form.getByLabel("Note", { exact: true }).fill("Homepage wireframes");
    await expect(form.getByLabel("Billable")).toBeChecked();
    await form.getByRole("button", { name: "Add entry" }).click();
    const entry = page.getByRole("row").filter({ hasText: "Homepage wireframes" });
    await expect(entry.getByRole("cell")).toHaveText([
      "07:00–08:30",
      `${project} ${client}`,
      "Homepage wireframes",
      "1.5 h",
      "€120.00",
      /Edit/,
    ]);
  });

  const today = localDate(zone);
  let number = "";

  await test.step("an invoice from the unbilled time, issued as the first of the year", async () => {
    await orgNav(page).getByRole("link", { name: "Invoices", exact: true }).click();
    await page.getByRole("link", { name: "New invoice" }).click();
    await page.getByLabel("Client", { exact: true }).selectOption({ label: client });
    await page.getByLabel("From", { exact: true }).fill(`${today.slice(0, 8)}01`);
    await page.getByLabel("To", { exact: true }).fill(today);
    await page.getByRole("button", { name: "Show unbilled time" }).click();
    await expect(page.getByText(/unbilled billable entries/)).toHaveText(
      `1 unbilled billable entries (1.5 h) worth €120.00 before tax; days count in ${zone}.`,
    );
    await expect(page.getByRole("listitem").filter({ hasText: `Time: ${project}` })).toHaveText(
      `Time: ${project} (1 entry, each rounded to 0.01 EUR): 1:30:00 h at €80.00/h = €120.00`,
    );
    await expect(page.getByRole("checkbox", { name: `Bill the unbilled time above (${today.slice(0, 8)}01 to ${today})` })).toBeChecked();
    await page.getByLabel("Tax rate (%)", { exact: true }).fill("19");
    await page.getByRole("button", { name: "Create draft" }).click();

    await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Draft invoice · ${client} (Draft)`);
    const line = page.getByRole("row").filter({ hasText: `Time: ${project}` });
    await expect(line.getByRole("cell").first()).toHaveText(`Time: ${project} (1 entry, each rounded to 0.01 EUR)`);
    await expect(line).toContainText("1:30:00 h");
    await expect(line).toContainText("€80.00/h");
    await expect(line).toContainText("€120.00");
    await expect(page.getByRole("row", { name: /^Subtotal/ })).toContainText("€120.00");
    await expect(page.getByRole("row", { name: /^Tax 19 %/ })).toContainText("€22.80");
    await expect(page.getByRole("row", { name: /^Total/ })).toContainText("€142.80");

    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: "Issue", exact: true }).click();
    number = `INV-${today.slice(0, 4)}-0001`;
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(`${number} · ${client} (Issued)`);
    await expect(page.getByText(`Issued ${today}`)).toBeVisible();
    await expect(page.getByRole("row", { name: /^Paid · balance due/ })).toContainText("€0.00 · €142.80");
    await expect(page.getByRole("button", { name: "Remove" })).toHaveCount(0);
  });

  await test.step("a payment for the full amount: paid, balance 0", async () => {
    await expect(page.getByRole("heading", { name: "Record a payment" })).toBeVisible();
    await expect(page.getByLabel("Amount (EUR)", { exact: true })).toHaveValue("142.80");
    await page.getByLabel("Reference", { exact: true }).fill(`Transfer ${number}`);
    await page.getByRole("button", { name: "Record payment" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(`${number} · ${client} (Paid)`);
    await expect(page.getByRole("row", { name: /^Paid · balance due/ })).toContainText("€142.80 · €0.00");
    await expect(page.getByRole("row").filter({ hasText: `Transfer ${number}` })).toContainText("Bank transfer");
    await expect(page.getByRole("heading", { name: "Record a payment" })).toHaveCount(0);
    await shot(page, testInfo, "invoice");
  });

  await test.step("the print view renders the number", async () => {
    await page.getByRole("link", { name: "Print / PDF" }).click();
    await expect(page).toHaveTitle(number);
    const doc = page.getByRole("article");
    await expect(doc.getByRole("heading", { name: "Invoice", level: 1 })).toBeVisible();
    await expect(doc).toContainText(number);
    await expect(doc).toContainText(client);
    await expect(doc).toContainText("Paid");
    await expect(doc.getByRole("row", { name: /^Total EUR/ })).toContainText("€142.80");
    await expect(page.getByRole("navigation", { name: "Organisation" })).toHaveCount(0);
    await shot(page, testInfo, "invoice-print");
    await page.getByRole("link", { name: "← Back to the invoice" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(`${number} · ${client} (Paid)`);
  });

  await test.step("this month's report shows the hours chart", async () => {
    await orgNav(page).getByRole("link", { name: "Reports", exact: true }).click();
    await expect(page.getByRole("heading", { name: "Reports", level: 1 })).toBeVisible();
    await page.getByRole("link", { name: "This month" }).click();
    await expect(page.getByLabel("From", { exact: true })).toHaveValue(`${today.slice(0, 8)}01`);
    const hours = page.getByRole("region", { name: "Hours and billable amount" });
    const chart = hours.getByRole("img", { name: "Hours by project" });
    // The chart's own surface (the legend's icons are small recharts-surface svgs too).
    await expect(chart.locator(".recharts-wrapper > svg.recharts-surface")).toBeVisible();
    await expect(chart.locator(".recharts-bar-rectangle").first()).toBeVisible();
    expect(await chart.locator(".recharts-bar-rectangle").count()).toBeGreaterThanOrEqual(1);
    const row = hours.getByRole("row").filter({ hasText: project });
    await expect(row.getByRole("cell").nth(1)).toHaveText(client);
    await expect(row.getByRole("cell").nth(3)).toHaveText("1.5 h");
    await expect(row.getByRole("cell").nth(4)).toHaveText("€120.00");
    await expect(page.getByRole("region", { name: "Unbilled time" })).toContainText("All billable time is invoiced.");

    await page.screenshot({ path: testInfo.outputPath("report-chart.png"), fullPage: true });
    await testInfo.attach("report-chart", { path: testInfo.outputPath("report-chart.png"), contentType: "image/png" });
  });
});
