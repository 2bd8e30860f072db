import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { createClientProjectTask, signUpWithOrg, type Person } from "./helpers/app";

/**
 * The integration surfaces end to end: a personal API token used from outside the browser and then
 * revoked, a connected service whose secret is only ever shown masked, a task attachment uploaded,
 * downloaded and deleted, and a webhook whose signed task.created delivery reaches a receiver started
 * by the test. Own account and organisation with unique names, so it does not depend on other specs.
 */
const run = Date.now().toString(36);
const owner: Person = { name: "Iris Integrator", email: `iris-${run}@integrations-e2e.example`, password: "pewter-canyon-sorbet-63" };
const org = { name: "Relay Works", slug: `relay-${run}` };
const client = "Globex";
const project = `Data pipeline ${run}`;
const task = "Wire up the importer";
const hookTask = "Announce the release";
const SECRET = "sk_live_abcdefghijklmnop1234";
const FILE = { name: `notes-${run}.txt`, body: `Release checklist ${run}\n- ship it\n` };

const orgNav = (page: Page) => page.getByRole("navigation", { name: "Organisation" });

async function shot(page: Page, testInfo: TestInfo, name: string) {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A tiny webhook receiver on 127.0.0.1 that answers 204 and keeps every request it got. */
async function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/hooks/opslayer`, received };
}

function signatureValid(secret: string, r: Received) {
  const timestamp = String(r.headers["x-opslayer-timestamp"] ?? "");
  const given = String(r.headers["x-opslayer-signature"] ?? "");
  const expected = `sha256=${createHmac("sha256", secret).update(`${timestamp}.${r.body}`).digest("hex")}`;
  return timestamp !== "" && given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

test("API token used and revoked, masked service secret, task attachment, signed webhook delivery", async ({ page, request }, testInfo) => {
  test.setTimeout(150_000);
  const receiver = await startReceiver();
  try {
    await test.step("owner signs up, confirms and creates an organisation, a client, a project and a task", async () => {
      await signUpWithOrg(page, owner, org);

      await createClientProjectTask(page, { client, project, task });
    });
    const taskUrl = page.url();

    const listProjects = (token: string) =>
      request.get(`/api/trpc/projects.list?input=${encodeURIComponent(JSON.stringify({ org: org.slug }))}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
    let token = "";

    await test.step("an API token is shown once and lists the projects over the API", async () => {
      await orgNav(page).getByRole("link", { name: "API tokens", exact: true }).click();
      await expect(page.getByRole("heading", { name: "API tokens", level: 1 })).toBeVisible();
      await page.getByLabel("Name", { exact: true }).fill("Reporting script");
      for (const scope of ["Open the organisation", "See the projects shared with them", "See every project, shared or not"]) {
        await page.getByLabel(scope, { exact: true }).check();
      }
      await page.getByRole("button", { name: "Create token" }).click();
      await expect(page.getByRole("status")).toContainText("Copy this token now: it is shown only once.");
      token = await page.getByLabel("API token", { exact: true }).inputValue();
      expect(token.length).toBeGreaterThan(20);
      const row = page.getByRole("table", { name: "API tokens" }).getByRole("row").filter({ hasText: "Reporting script" });
      await expect(row).toContainText("org.view, project.read, project.read.all");
      await expect(row).toContainText("Active");

      const res = await listProjects(token);
      expect(res.status(), await res.text()).toBe(200);
      expect(await res.text()).toContain(project);
    });

    await test.step("after a reload the token is nowhere on the page; revoked, it is refused", async () => {
      await page.reload();
      await expect(page.getByRole("table", { name: "API tokens" })).toContainText("Reporting script");
      await expect(page.getByLabel("API token", { exact: true })).toHaveCount(0);
      expect(await page.content()).not.toContain(token);

      const row = page.getByRole("table", { name: "API tokens" }).getByRole("row").filter({ hasText: "Reporting script" });
      await row.getByRole("button", { name: "Revoke" }).click();
      await expect(row).toContainText("Revoked");
      await expect(row.getByRole("button", { name: "Revoke" })).toHaveCount(0);
      expect((await listProjects(token)).status()).toBe(401);
    });

    await test.step("a connected service keeps its API key write-only: only a mask is shown", async () => {
      await orgNav(page).getByRole("link", { name: "Integrations", exact: true }).click();
      await expect(page.getByRole("heading", { name: "Integrations", level: 1 })).toBeVisible();
      const form = page.locator("form").filter({ has: page.getByRole("heading", { name: "Connect a service" }) });
      // By role: these labels wrap their control, so a label's text also holds the select's options.
      await form.getByRole("combobox", { name: "Kind", exact: true }).selectOption("stripe");
      await form.getByRole("textbox", { name: "Name", exact: true }).fill("Stripe payments");
      await form.getByRole("combobox", { name: "Credential type", exact: true }).selectOption({ label: "API key" });
      await form.getByRole("textbox", { name: "Secret (API key, access token, password or private key)", exact: true }).fill(SECRET);
      await form.getByRole("button", { name: "Connect" }).click();

      const row = page.getByRole("table", { name: "Connected services" }).getByRole("row").filter({ hasText: "Stripe payments" });
      await expect(row).toContainText("stripe");
      await expect(row).toContainText("API key");
      await expect(row.locator("code")).toHaveText(/1234$/);
      await expect(row.locator("code")).not.toHaveText(SECRET);
      // After the submit and on a fresh load alike, the secret never comes back to the browser.
      expect(await page.content()).not.toContain(SECRET);
      await page.reload();
      await expect(row.locator("code")).toHaveText(/1234$/);
      expect(await page.content()).not.toContain(SECRET);
      await shot(page, testInfo, "integrations");
    });

    await test.step("a file is attached to the task, downloaded and deleted", async () => {
      await page.goto(taskUrl);
      const attachments = page.getByRole("region", { name: "Attachments" });
      await expect(attachments.getByText("No files attached.")).toBeVisible();
      await attachments
        .getByLabel("Attach a file")
        .setInputFiles({ name: FILE.name, mimeType: "text/plain", buffer: Buffer.from(FILE.body) });
      const link = attachments.getByRole("link", { name: FILE.name, exact: true });
      await expect(link).toBeVisible();
      await expect(attachments.getByRole("row").filter({ hasText: FILE.name })).toContainText(`${Buffer.byteLength(FILE.body)} B`);

      const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
      expect(download.suggestedFilename()).toBe(FILE.name);
      const stream = await download.createReadStream();
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString("utf8")).toBe(FILE.body);

      await attachments.getByRole("button", { name: `Delete ${FILE.name}` }).click();
      await expect(link).toHaveCount(0);
      await expect(attachments.getByText("No files attached.")).toBeVisible();
    });

    let secret = "";

    await test.step("a webhook for task.created shows its signing secret once", async () => {
      await orgNav(page).getByRole("link", { name: "Webhooks", exact: true }).click();
      await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();
      await page.getByLabel("Payload URL").fill(receiver.url);
      await page.getByRole("checkbox", { name: "task.created", exact: true }).check();
      await page.getByRole("button", { name: "Create webhook" }).click();
      await expect(page.getByRole("status")).toContainText("Copy this signing secret now: it is shown only once.");
      secret = await page.getByLabel("Signing secret", { exact: true }).inputValue();
      expect(secret.length).toBeGreaterThan(10);
      const row = page.getByRole("table", { name: "Webhooks" }).getByRole("row").filter({ hasText: receiver.url });
      await expect(row.getByRole("cell")).toHaveText([
        receiver.url,
        "task.created",
        `Sends what ${owner.name} can see.`,
        "Active",
        /.+/,
        /Deliveries/,
      ]);
    });

    await test.step("a task created in the UI is delivered, signed with that secret", async () => {
      await orgNav(page).getByRole("link", { name: "Tasks", exact: true }).click();
      await page.getByRole("link", { name: "New task", exact: true }).click();
      await page.getByLabel("Project", { exact: true }).selectOption({ label: `${project} (${client})` });
      await page.getByLabel("Title", { exact: true }).fill(hookTask);
      await page.getByRole("button", { name: "Create task" }).click();
      await expect(page.getByRole("heading", { name: hookTask })).toBeVisible();

      const delivery = () => receiver.received.find((r) => r.headers["x-opslayer-event"] === "task.created" && r.body.includes(hookTask));
      await expect
        .poll(() => delivery() !== undefined, { timeout: 30_000, message: "the receiver gets a task.created delivery" })
        .toBe(true);
      const got = delivery()!;
      expect(signatureValid(secret, got), "X-Opslayer-Signature verifies with the secret shown once").toBe(true);
      expect(signatureValid(`${secret}x`, got)).toBe(false);
      const body = JSON.parse(got.body) as { id: string; event: string; data: { task: { title: string } } };
      expect(body.event).toBe("task.created");
      expect(body.data.task.title).toBe(hookTask);
      expect(got.headers["x-opslayer-delivery"]).toBe(body.id);
    });

    await test.step("the delivery log lists it as delivered", async () => {
      await orgNav(page).getByRole("link", { name: "Webhooks", exact: true }).click();
      await page
        .getByRole("table", { name: "Webhooks" })
        .getByRole("row")
        .filter({ hasText: receiver.url })
        .getByRole("link", { name: "Deliveries" })
        .click();
      await expect(page).toHaveURL(/\/settings\/webhooks\?webhook=/);
      await expect(page.getByRole("region", { name: "Deliveries" })).toBeVisible();
      const log = page.getByRole("table", { name: "Delivery log" });
      // The dispatcher records the outcome just after the receiver answered: reload until it shows.
      await expect(async () => {
        await page.reload();
        await expect(log.getByRole("row").filter({ hasText: "task.created" }).first()).toContainText("Delivered", { timeout: 1_000 });
      }).toPass({ timeout: 20_000 });
      const row = log.getByRole("row").filter({ hasText: "task.created" }).first();
      await expect(row.getByRole("cell").nth(3)).toHaveText("1");
      await expect(row.getByRole("cell").nth(4)).toHaveText("204");
      await expect(page.getByLabel("Signing secret")).toHaveCount(0);
    });
  } finally {
    await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
  }
});
