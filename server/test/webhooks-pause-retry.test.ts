import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inviteMember, userWithOrg } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import { deliverDueWebhooks } from "./support/webhooks";

/**
 * Owner loss stops every send of the webhook, including a delivery already retrying (failed once,
 * waiting for its back-off) and one enqueued just before; the admins hear of the pause once, not
 * once per path that notices it (the removal, then the dispatcher).
 */

const org = "hooks-retry";

function ok<T>(res: { status: number; data: T; error: unknown }): T {
  if (res.status !== 200) throw new Error(`${res.status}: ${JSON.stringify(res.error)}`);
  return res.data;
}

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
let server: Server;
let url: string;
let received = 0;

const runOnce = () => deliverDueWebhooks(instance);

beforeAll(async () => {
  instance = await startInstance();
  instance.services.webhooks.stop();
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received++;
      res.writeHead(500).end("down");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/flaky`;
  owner = await userWithOrg(instance, org);
}, 60_000);
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await instance.stop();
});

describe("a paused webhook sends nothing more", () => {
  it("a retrying and a fresh delivery are not sent after the owner is removed; the admins are emailed once", async () => {
    const clientId = ok(await owner.client.mutate("clients.create", { org, name: "Acme" })).id;
    const projectId = ok(await owner.client.mutate("projects.create", { org, clientId, name: "Open" })).id;
    const admin = await inviteMember(instance, owner.client, org, "admin", { name: "Leaving Admin" });
    ok(await admin.client.mutate("webhooks.create", { org, url, events: ["task.created"] }));

    ok(await owner.client.mutate("tasks.create", { org, projectId, title: "First" }));
    await runOnce();
    expect(received).toBe(1); // failed: it waits for its back-off, still pending
    ok(await owner.client.mutate("tasks.create", { org, projectId, title: "Second" }));

    const before = instance.smtp.inbox.length;
    ok(await owner.client.mutate("members.remove", { org, userId: admin.userId }));
    instance.clock.advance(24 * 3600_000);
    await runOnce();
    expect(received).toBe(1);

    const pausedMails = instance.smtp.inbox.slice(before).filter((m) => m.text.includes("paused"));
    expect(pausedMails.map((m) => m.to).flat()).toEqual([owner.email]);
  });

  it("an owner who loses webhook.manage where nothing pauses at once (account deletion's path): one email for all their webhooks", async () => {
    const clientId = ok(await owner.client.mutate("clients.create", { org, name: "Beta" })).id;
    const projectId = ok(await owner.client.mutate("projects.create", { org, clientId, name: "Open two" })).id;
    const admin = await inviteMember(instance, owner.client, org, "admin", { name: "Two Hooks" });
    ok(await admin.client.mutate("webhooks.create", { org, url: `${url}/a`, events: ["task.created"] }));
    ok(await admin.client.mutate("webhooks.create", { org, url: `${url}/b`, events: ["task.created"] }));
    ok(await owner.client.mutate("tasks.create", { org, projectId, title: "Pending for both" }));
    const lease = await instance.services.pool.acquire(owner.tenantId);
    try {
      await lease.db.updateTable("members").set({ role: "member" }).where("user_id", "=", admin.userId).execute();
    } finally {
      lease.release();
    }
    const sent = received;
    const before = instance.smtp.inbox.length;
    await runOnce();
    expect(received).toBe(sent);
    const hooks = ok<{ url: string; active: boolean }[]>(await owner.client.query("webhooks.list", { org }));
    expect(hooks.filter((h) => h.url.endsWith("/a") || h.url.endsWith("/b")).map((h) => h.active)).toEqual([false, false]);
    const pausedMails = instance.smtp.inbox.slice(before).filter((m) => m.text.includes("paused"));
    expect(pausedMails.map((m) => m.to).flat()).toEqual([owner.email]);
  });
});
