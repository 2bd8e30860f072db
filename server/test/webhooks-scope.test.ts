import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inviteMember, STRONG_PASSWORD, userWithOrg } from "./support/accounts";
import type { Client } from "./support/client";
import { startInstance, type Instance } from "./support/instance";
import { deliverDueWebhooks } from "./support/webhooks";
import { tenantRows } from "./support/tenant-files";

/**
 * Issue 25, item 2: a webhook acts as its owner. The reproductions of the issue against a real
 * instance over HTTP and a real receiver on 127.0.0.1; the dispatcher's timer is stopped and tests
 * call runOnce. A unique marker is in every string of the hidden project's objects, so "none of it
 * arrived" is a search for the marker in what the receiver and the log show.
 */

const MARK = `HIDDENMARK${process.pid}`;

interface Received {
  path: string;
  body: string;
}

async function receiver() {
  const requests: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ path: req.url ?? "", body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    on: (path: string) => requests.filter((r) => r.path === path),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function ok<T>(res: { status: number; data: T; error: unknown }): T {
  if (res.status !== 200) throw new Error(`${res.status}: ${JSON.stringify(res.error)}`);
  return res.data;
}

let instance: Instance;
let rx: Awaited<ReturnType<typeof receiver>>;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
const org = "hooks-scope";
let clientId: string;
let hiddenProject: string;
let openProject: string;
let narrowRole: string;
let readerRole: string;
const runOnce = () => deliverDueWebhooks(instance);

interface Delivery {
  id: string;
  event: string;
  status: string;
  payload: string | null;
  payload_hidden: string | null;
  error: string | null;
}

async function deliveries(client: Client, webhookId: string): Promise<Delivery[]> {
  return ok<Delivery[]>(await client.query("webhooks.deliveries", { org, webhookId }));
}

async function everyEventHook(client: Client, path: string) {
  const all = ["task.created", "task.status_changed", "time_entry.created", "invoice.issued", "invoice.paid", "member.joined"];
  return ok<{ webhook: { id: string } }>(await client.mutate("webhooks.create", { org, url: `${rx.url}${path}`, events: all }));
}

let hour = 0;
/** An hour-long entry by the org owner, each in its own slot so none overlap. */
async function logTime(projectId: string, note: string) {
  const end = instance.clock.now() - 48 * 3600_000 + ++hour * 3600_000;
  return ok(await owner.client.mutate("time.create", { org, projectId, startedAt: end - 3600_000, endedAt: end, note }));
}

/** The owner's work in the project shared with no one: a task, an hour of time, an invoice issued. */
async function hiddenWork(tag: string) {
  ok(await owner.client.mutate("tasks.create", { org, projectId: hiddenProject, title: `${MARK} task ${tag}` }));
  await logTime(hiddenProject, `${MARK} note ${tag}`);
  const draft = ok(
    await owner.client.mutate("invoices.create", {
      org,
      clientId,
      lines: [{ description: `${MARK} line ${tag}`, quantity: 1, unitPrice: 90_000 }],
    }),
  );
  ok(await owner.client.mutate("invoices.issue", { org, id: draft.id }));
}

beforeAll(async () => {
  instance = await startInstance();
  instance.services.webhooks.stop();
  rx = await receiver();
  owner = await userWithOrg(instance, org);
  clientId = ok(await owner.client.mutate("clients.create", { org, name: "Acme" })).id;
  hiddenProject = ok(await owner.client.mutate("projects.create", { org, clientId, name: `${MARK} project`, hourlyRate: 10_000 })).id;
  openProject = ok(await owner.client.mutate("projects.create", { org, clientId, name: "Open project", hourlyRate: 10_000 })).id;
  narrowRole = ok(await owner.client.mutate("roles.create", { org, name: "Hooks only", permissions: ["org.view", "webhook.manage"] })).id;
  readerRole = ok(
    await owner.client.mutate("roles.create", {
      org,
      name: "Hooks and work",
      permissions: ["org.view", "webhook.manage", "project.read", "task.read", "time.read.all", "member.read"],
    }),
  ).id;
}, 60_000);
afterAll(async () => {
  await rx.close();
  await instance.stop();
});

describe("a webhook sends what its owner can see", () => {
  it("a member with only org.view and webhook.manage gets nothing of a project shared with no one, nor does the log show it", async () => {
    const narrow = await inviteMember(instance, owner.client, org, narrowRole, { name: "Narrow Hooks" });
    // As in the issue: the direct reads are refused.
    expect((await narrow.client.query("tasks.list", { org, projectId: hiddenProject })).status).toBe(403);
    const { webhook } = await everyEventHook(narrow.client, "/narrow");
    const listed = ok<{ id: string; owner: { id: string; name: string } }[]>(await narrow.client.query("webhooks.list", { org }));
    expect(listed.find((w) => w.id === webhook.id)?.owner).toEqual({ id: narrow.userId, name: "Narrow Hooks" });

    await hiddenWork("narrow");
    await runOnce();
    expect(rx.on("/narrow")).toEqual([]);
    // Nothing about the hidden project is even queued for this webhook: a "skipped" row would still
    // tell its owner that something happened there, and when.
    expect(await deliveries(narrow.client, webhook.id)).toEqual([]);
    expect(await deliveries(owner.client, webhook.id)).toEqual([]);
  });

  it("a share withdrawn between the event and its send: not sent, and the log hides the body from the owner but not from who can see it", async () => {
    const later = await inviteMember(instance, owner.client, org, readerRole, { name: "Later Hooks" });
    const project = ok(
      await owner.client.mutate("projects.create", { org, clientId, name: "Shared, then withdrawn", hourlyRate: 10_000 }),
    ).id;
    const share = { org, projectId: project, subject: { kind: "member", id: later.userId } };
    ok(await owner.client.mutate("sharing.add", share));
    const { webhook } = await everyEventHook(later.client, "/later");
    ok(await owner.client.mutate("tasks.create", { org, projectId: project, title: `${MARK} withdrawn` }));
    ok(await owner.client.mutate("sharing.remove", share));
    await runOnce();

    expect(rx.on("/later")).toEqual([]);
    const log = await deliveries(later.client, webhook.id);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      event: "task.created",
      status: "skipped",
      payload: null,
      payload_hidden: expect.stringMatching(/^hidden: /),
    });
    expect(log[0]!.error).toMatch(/^not sent: /);
    expect(JSON.stringify(log)).not.toContain(MARK);
    // The organisation's owner reads the same log with their own sight: they see the body.
    const asOwner = await deliveries(owner.client, webhook.id);
    expect(asOwner[0]).toMatchObject({ payload_hidden: null, payload: expect.stringContaining(MARK) });
    ok(await owner.client.mutate("webhooks.delete", { org, id: webhook.id }));
  });

  it("sends what the owner can see, without rates they may not see, and nothing of the hidden project", async () => {
    const reader = await inviteMember(instance, owner.client, org, readerRole, { name: "Reader Hooks" });
    ok(await owner.client.mutate("sharing.add", { org, projectId: openProject, subject: { kind: "member", id: reader.userId } }));
    const { webhook } = await everyEventHook(reader.client, "/reader");
    const own = await everyEventHook(owner.client, "/owner");

    const task = ok(await owner.client.mutate("tasks.create", { org, projectId: openProject, title: "Visible task" }));
    await logTime(openProject, "Visible time");
    await hiddenWork("reader");
    await runOnce();

    const got = rx.on("/reader").map((r) => JSON.parse(r.body) as { event: string; data: Record<string, Record<string, unknown>> });
    expect(got.map((g) => g.event).sort()).toEqual(["task.created", "time_entry.created"]);
    expect(got.find((g) => g.event === "task.created")?.data.task).toMatchObject({ id: task.id, title: "Visible task" });
    const entry = got.find((g) => g.event === "time_entry.created")!.data.time_entry!;
    expect(entry).toMatchObject({ project_id: openProject, duration_seconds: 3600 });
    expect(entry).not.toHaveProperty("hourly_rate");
    expect(entry).not.toHaveProperty("amount");
    expect(JSON.stringify(got)).not.toContain(MARK);
    expect(JSON.stringify(got)).not.toContain(hiddenProject);

    // The organisation's owner has project.rates.view: their webhook carries the rate and amount.
    const theirs = rx.on("/owner").map((r) => JSON.parse(r.body) as { event: string; data: Record<string, Record<string, unknown>> });
    const ownEntry = theirs.find((g) => g.event === "time_entry.created" && g.data.time_entry!.project_id === openProject)!;
    expect(ownEntry.data.time_entry).toMatchObject({ hourly_rate: 10_000, amount: 10_000 });
    expect(theirs.filter((g) => JSON.stringify(g).includes(MARK) || JSON.stringify(g).includes(hiddenProject))).toHaveLength(2);
    expect(theirs.filter((g) => g.event === "invoice.issued")).toHaveLength(1);

    const log = await deliveries(reader.client, webhook.id);
    expect(log.filter((d) => d.status === "delivered")).toHaveLength(2);
    expect(log.filter((d) => d.status === "skipped")).toHaveLength(0);
    expect(JSON.stringify(log)).not.toContain(MARK);
    expect(JSON.stringify(log)).not.toContain("hourly_rate");
    await owner.client.mutate("webhooks.delete", { org, id: own.webhook.id });

    // Removed: pending deliveries made just before are not sent, the webhook is paused, admins are emailed.
    ok(await owner.client.mutate("tasks.create", { org, projectId: openProject, title: "Made before the removal" }));
    const mailsBefore = instance.smtp.inbox.length;
    ok(await owner.client.mutate("members.remove", { org, userId: reader.userId }));
    const [after] = ok<{ id: string; active: boolean; paused_reason: string }[]>(await owner.client.query("webhooks.list", { org })).filter(
      (w) => w.id === webhook.id,
    );
    expect(after).toMatchObject({ active: false, paused_reason: expect.stringContaining("no longer a member") });
    const mails = instance.smtp.inbox.slice(mailsBefore);
    expect(mails.map((m) => m.to).flat()).toContain(owner.email);
    expect(mails.find((m) => m.to.includes(owner.email))?.text).toContain("paused");
    ok(await owner.client.mutate("tasks.create", { org, projectId: openProject, title: "AFTERREMOVAL" }));
    await runOnce();
    expect(rx.on("/reader")).toHaveLength(2);
    const pauses = tenantRows<{ target_id: string }>(
      instance.dataDir,
      owner.tenantId,
      "select * from audit_log where action = 'webhook.pause'",
    );
    expect(pauses.map((p) => p.target_id)).toContain(webhook.id);
  });

  it("a demotion below webhook.manage pauses at once; an admin takes ownership (audited) and resumes it", async () => {
    const demoted = await inviteMember(instance, owner.client, org, readerRole, { name: "Soon Demoted" });
    ok(await owner.client.mutate("sharing.add", { org, projectId: openProject, subject: { kind: "member", id: demoted.userId } }));
    const { webhook } = await everyEventHook(demoted.client, "/demoted");
    ok(await owner.client.mutate("tasks.create", { org, projectId: openProject, title: "Before demotion" }));
    await runOnce();
    expect(rx.on("/demoted")).toHaveLength(1);

    const mailsBefore = instance.smtp.inbox.length;
    ok(await owner.client.mutate("members.setRole", { org, userId: demoted.userId, role: "member" }));
    const list = async () =>
      ok<
        {
          id: string;
          active: boolean;
          paused_reason: string | null;
          owner: { id: string };
        }[]
      >(await owner.client.query("webhooks.list", { org }));
    expect((await list()).find((w) => w.id === webhook.id)).toMatchObject({
      active: false,
      paused_reason: expect.stringContaining("Soon Demoted, no longer holds webhook.manage"),
    });
    expect(instance.smtp.inbox.slice(mailsBefore).some((m) => m.to.includes(owner.email))).toBe(true);
    ok(await owner.client.mutate("tasks.create", { org, projectId: openProject, title: "After demotion" }));
    await runOnce();
    expect(rx.on("/demoted")).toHaveLength(1);

    // Nobody resumes it as its old owner; an admin takes it over first.
    expect((await owner.client.mutate("webhooks.update", { org, id: webhook.id, active: true })).status).toBe(409);
    const ownerId = (
      await instance.services.control.selectFrom("users").select("id").where("email", "=", owner.email).executeTakeFirstOrThrow()
    ).id;
    ok(await owner.client.mutate("webhooks.takeOwnership", { org, id: webhook.id }));
    ok(await owner.client.mutate("webhooks.update", { org, id: webhook.id, active: true }));
    expect((await list()).find((w) => w.id === webhook.id)).toMatchObject({ active: true, paused_reason: null, owner: { id: ownerId } });
    const audited = tenantRows<{ actor_id: string; target_id: string; detail: string }>(
      instance.dataDir,
      owner.tenantId,
      "select * from audit_log where action = 'webhook.take_ownership'",
    );
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ actor_id: ownerId, target_id: webhook.id });
    expect(JSON.parse(audited[0]!.detail)).toMatchObject({ from: demoted.userId, to: ownerId });
    ok(await owner.client.mutate("tasks.create", { org, projectId: hiddenProject, title: `${MARK} now the owner's` }));
    await runOnce();
    // Now it sends what the organisation's owner sees, hidden project included.
    expect(rx.on("/demoted").some((r) => r.body.includes(`${MARK} now the owner's`))).toBe(true);
    await owner.client.mutate("webhooks.delete", { org, id: webhook.id });
  });

  it("a path that pauses nothing itself (here, a role changed in the file) is caught by the dispatcher before it sends", async () => {
    const member = await inviteMember(instance, owner.client, org, readerRole, { name: "Changed Elsewhere" });
    ok(await owner.client.mutate("sharing.add", { org, projectId: openProject, subject: { kind: "member", id: member.userId } }));
    const { webhook } = await everyEventHook(member.client, "/elsewhere");
    ok(await owner.client.mutate("tasks.create", { org, projectId: openProject, title: "Pending when the role changes" }));
    // As an account deletion does (its member row keeps no permissions), without any webhook hook.
    const lease = await instance.services.pool.acquire(owner.tenantId);
    try {
      await lease.db.updateTable("members").set({ role: "member" }).where("user_id", "=", member.userId).execute();
    } finally {
      lease.release();
    }
    const mailsBefore = instance.smtp.inbox.length;
    await runOnce();
    expect(rx.on("/elsewhere")).toEqual([]);
    const hook = ok<{ id: string; active: boolean; paused_reason: string }[]>(await owner.client.query("webhooks.list", { org })).find(
      (w) => w.id === webhook.id,
    );
    expect(hook).toMatchObject({ active: false, paused_reason: expect.stringContaining("no longer holds webhook.manage") });
    expect(instance.smtp.inbox.slice(mailsBefore).some((m) => m.to.includes(owner.email) && m.text.includes("paused"))).toBe(true);
  });

  it("an owner who deletes their account or leaves sends nothing more: their webhooks are paused", async () => {
    const leaving = await inviteMember(instance, owner.client, org, "admin", { name: "Leaves Soon" });
    const deleting = await inviteMember(instance, owner.client, org, readerRole, { name: "Deletes Soon" });
    for (const m of [leaving, deleting])
      ok(await owner.client.mutate("sharing.add", { org, projectId: openProject, subject: { kind: "member", id: m.userId } }));
    const left = await everyEventHook(leaving.client, "/left");
    const deleted = await everyEventHook(deleting.client, "/deleted");
    ok(await owner.client.mutate("tasks.create", { org, projectId: openProject, title: "Pending while they go" }));
    ok(await leaving.client.mutate("members.leave", { org }));
    ok(await deleting.client.mutate("account.delete", { password: STRONG_PASSWORD, confirm: deleting.email }));
    await runOnce();
    expect(rx.on("/left")).toEqual([]);
    expect(rx.on("/deleted")).toEqual([]);
    const hooks = ok<{ id: string; active: boolean; paused_reason: string | null }[]>(await owner.client.query("webhooks.list", { org }));
    for (const id of [left.webhook.id, deleted.webhook.id])
      expect(hooks.find((w) => w.id === id)).toMatchObject({ active: false, paused_reason: expect.stringMatching(/^Its owner/) });
  });

  it("only the owner changes where a webhook points; another admin may pause it", async () => {
    const admin = await inviteMember(instance, owner.client, org, "admin", { name: "Other Admin" });
    const { webhook } = await everyEventHook(owner.client, "/owned");
    const res = await admin.client.mutate("webhooks.update", { org, id: webhook.id, url: `${rx.url}/elsewhere-else` });
    expect(res.status).toBe(409);
    expect(JSON.stringify(res.error)).toContain("take ownership");
    // Pausing is anyone's with webhook.manage.
    ok(await admin.client.mutate("webhooks.update", { org, id: webhook.id, active: false }));
    await owner.client.mutate("webhooks.delete", { org, id: webhook.id });
  });
});
