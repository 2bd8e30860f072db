import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { privateHostProblem } from "../webhooks/url";
import { inviteMember, userWithOrg } from "./support/accounts";
import type { Client } from "./support/client";
import { startInstance, type Instance } from "./support/instance";
import { tenantRows } from "./support/tenant-files";

/**
 * Outgoing webhooks against real HTTP receivers on 127.0.0.1. The dispatcher's timer is stopped:
 * deliveries move only when a test calls runOnce, and back-off is crossed by moving the clock.
 */

interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A receiver: answers each path with the status set for it (200 by default) and records every request. */
async function receiver() {
  const requests: Received[] = [];
  const statusFor = new Map<string, number>();
  const waiters: ((r: Received) => void)[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = { path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      requests.push(r);
      waiters.splice(0).forEach((w) => w(r));
      res.writeHead(statusFor.get(r.path) ?? 200).end("ok");
    });
  });
  const url = await listen(server);
  return {
    url,
    requests,
    statusFor,
    on: (path: string) => requests.filter((r) => r.path === path),
    next: () => new Promise<Received>((resolve) => waiters.push(resolve)),
    close: () => close(server),
  };
}

/** A receiver that takes the request and never answers; kill() stops it listening and drops what it holds. */
async function deadReceiver() {
  const sockets = new Set<Socket>();
  let arrived: () => void = () => {};
  const arrival = new Promise<void>((resolve) => (arrived = resolve));
  let hits = 0;
  const server = createServer(() => {
    hits++;
    arrived();
  });
  server.on("connection", (s: Socket) => sockets.add(s));
  const url = await listen(server);
  return {
    url,
    arrival,
    hits: () => hits,
    kill: () => {
      server.close();
      sockets.forEach((s) => s.destroy());
    },
    close: () => (server.listening ? close(server) : undefined),
  };
}

async function listen(server: Server) {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
}

function close(server: Server) {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

const verify = (secret: string, r: Received) => {
  const expected = `sha256=${createHmac("sha256", secret).update(`${r.headers["x-opslayer-timestamp"]}.${r.body}`).digest("hex")}`;
  return r.headers["x-opslayer-signature"] === expected;
};

function ok<T>(res: { status: number; data: T; error: unknown }): T {
  if (res.status !== 200) throw new Error(`${res.status}: ${JSON.stringify(res.error)}`);
  return res.data;
}

let instance: Instance;
let rx: Awaited<ReturnType<typeof receiver>>;
const secrets: string[] = [];

interface Org {
  slug: string;
  tenantId: string;
  client: Client;
  projectId: string;
  clientId: string;
}

async function org(slug: string): Promise<Org> {
  const owner = await userWithOrg(instance, slug);
  const client = ok(await owner.client.mutate("clients.create", { org: slug, name: `Client of ${slug}` }));
  const project = ok(await owner.client.mutate("projects.create", { org: slug, clientId: client.id, name: `Project of ${slug}` }));
  return { slug, tenantId: owner.tenantId, client: owner.client, projectId: project.id, clientId: client.id };
}

async function hook(o: Org, path: string, events: string[]) {
  const created = ok(await o.client.mutate("webhooks.create", { org: o.slug, url: `${rx.url}${path}`, events }));
  secrets.push(created.secret);
  return created as { webhook: { id: string }; secret: string };
}

const task = (o: Org, title = "Write the brief") => o.client.mutate("tasks.create", { org: o.slug, projectId: o.projectId, title });
const deliveries = async (o: Org, webhookId: string) => ok(await o.client.query("webhooks.deliveries", { org: o.slug, webhookId }));

let a: Org;
let b: Org;

beforeAll(async () => {
  instance = await startInstance();
  instance.services.webhooks.stop();
  rx = await receiver();
  a = await org("hooks-a");
  b = await org("hooks-b");
}, 60_000);
afterAll(async () => {
  await rx.close();
  await instance.stop();
});

describe("deliveries", () => {
  it("posts task.created, signed with the webhook's secret over timestamp and body", async () => {
    const { webhook, secret } = await hook(a, "/signed", ["task.created"]);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    // It acts as its creator (issue 25): the list names whose sight it sends.
    const listed = ok(await a.client.query("webhooks.list", { org: a.slug })).find((w: { id: string }) => w.id === webhook.id);
    expect(listed).toMatchObject({ owner: { name: "Owner of hooks-a" }, paused_reason: null });
    const created = ok(await task(a));
    // Nothing is sent on the request's path: the delivery waits for the dispatcher.
    expect(rx.on("/signed")).toHaveLength(0);
    await instance.services.webhooks.runOnce();
    const [r] = rx.on("/signed");
    expect(r).toBeDefined();
    expect(r!.headers["content-type"]).toBe("application/json");
    expect(r!.headers["x-opslayer-event"]).toBe("task.created");
    expect(verify(secret, r!)).toBe(true);
    expect(verify(secret.replace(/.$/, "x"), r!)).toBe(false);
    expect(Number(r!.headers["x-opslayer-timestamp"])).toBe(Math.floor(instance.clock.now() / 1000));
    const body = JSON.parse(r!.body);
    expect(body).toMatchObject({
      id: r!.headers["x-opslayer-delivery"],
      event: "task.created",
      data: { task: { id: created.id, project_id: a.projectId, title: "Write the brief" } },
    });
    const [logged] = await deliveries(a, webhook.id);
    expect(logged).toMatchObject({ id: body.id, status: "delivered", attempts: 1, status_code: 200, error: null });
    expect(typeof logged.duration_ms).toBe("number");
    await a.client.mutate("webhooks.delete", { org: a.slug, id: webhook.id });
  });

  it("posts invoice.issued with the invoice's number and total", async () => {
    const { webhook, secret } = await hook(a, "/billing", ["invoice.issued"]);
    const draft = ok(
      await a.client.mutate("invoices.create", {
        org: a.slug,
        clientId: a.clientId,
        lines: [{ description: "Retainer", quantity: 1, unitPrice: 120_000 }],
      }),
    );
    // Not subscribed to anything that happened so far: a task does not reach this webhook.
    ok(await task(a, "Not for billing"));
    const issued = ok(await a.client.mutate("invoices.issue", { org: a.slug, id: draft.id }));
    await instance.services.webhooks.runOnce();
    const got = rx.on("/billing");
    expect(got).toHaveLength(1);
    expect(verify(secret, got[0]!)).toBe(true);
    expect(JSON.parse(got[0]!.body)).toMatchObject({
      event: "invoice.issued",
      data: { invoice: { id: draft.id, number: issued.number, client_id: a.clientId, total: issued.total } },
    });
    await a.client.mutate("webhooks.delete", { org: a.slug, id: webhook.id });
  });

  it("posts member.joined when an invitation is accepted", async () => {
    const { webhook } = await hook(a, "/people", ["member.joined"]);
    const joined = await inviteMember(instance, a.client, a.slug, "member", { name: "New Hire" });
    await instance.services.webhooks.runOnce();
    const got = rx.on("/people");
    expect(got).toHaveLength(1);
    expect(JSON.parse(got[0]!.body).data).toEqual({ member: { user_id: joined.userId, name: "New Hire", role: "member" } });
    await a.client.mutate("webhooks.delete", { org: a.slug, id: webhook.id });
  });

  it("retries a 500 with exponential back-off, then marks the delivery failed after 6 attempts", async () => {
    rx.statusFor.set("/flaky", 500);
    const { webhook } = await hook(a, "/flaky", ["task.created"]);
    ok(await task(a));
    const d = instance.services.webhooks;
    await d.runOnce();
    expect(rx.on("/flaky")).toHaveLength(1);
    let [log] = await deliveries(a, webhook.id);
    expect(log).toMatchObject({
      status: "pending",
      attempts: 1,
      status_code: 500,
      error: "HTTP 500",
      next_attempt_at: instance.clock.now() + 30_000,
    });
    for (let attempt = 1; attempt < 6; attempt++) {
      const wait = 30_000 * 2 ** (attempt - 1);
      instance.clock.advance(wait - 1);
      await d.runOnce();
      expect(rx.on("/flaky")).toHaveLength(attempt); // not yet due
      instance.clock.advance(1);
      await d.runOnce();
      expect(rx.on("/flaky")).toHaveLength(attempt + 1);
    }
    [log] = await deliveries(a, webhook.id);
    expect(log).toMatchObject({ status: "failed", attempts: 6, status_code: 500, next_attempt_at: null, delivered_at: null });
    instance.clock.advance(24 * 3600_000);
    await d.runOnce();
    expect(rx.on("/flaky")).toHaveLength(6);

    // Manual redelivery: a new delivery of the same event and data, sent once the receiver is fixed.
    rx.statusFor.delete("/flaky");
    const again = ok(await a.client.mutate("webhooks.redeliver", { org: a.slug, id: log.id }));
    expect(again).toMatchObject({ status: "pending", attempts: 0, event: "task.created" });
    await d.runOnce();
    const sent = rx.on("/flaky");
    expect(sent).toHaveLength(7);
    expect(JSON.parse(sent[6]!.body).data).toEqual(JSON.parse(sent[0]!.body).data);
    expect(JSON.parse(sent[6]!.body).id).toBe(again.id);
    const logs = await deliveries(a, webhook.id);
    expect(logs.map((l: { id: string; status: string }) => [l.id, l.status])).toEqual([
      [again.id, "delivered"],
      [log.id, "failed"],
    ]);
    await a.client.mutate("webhooks.delete", { org: a.slug, id: webhook.id });
  });

  it("signs with the new secret after rotation, and a paused webhook gets nothing", async () => {
    const { webhook, secret: old } = await hook(a, "/rotated", ["task.created"]);
    const rotated = ok(await a.client.mutate("webhooks.rotateSecret", { org: a.slug, id: webhook.id }));
    secrets.push(rotated.secret);
    expect(rotated.secret).not.toBe(old);
    ok(await task(a));
    await instance.services.webhooks.runOnce();
    const [r] = rx.on("/rotated");
    expect(verify(rotated.secret, r!)).toBe(true);
    expect(verify(old, r!)).toBe(false);
    ok(await a.client.mutate("webhooks.update", { org: a.slug, id: webhook.id, active: false }));
    ok(await task(a));
    await instance.services.webhooks.runOnce();
    expect(rx.on("/rotated")).toHaveLength(1);
    expect(await deliveries(a, webhook.id)).toHaveLength(1);
    await a.client.mutate("webhooks.delete", { org: a.slug, id: webhook.id });
  });
});

describe("a dead receiver", () => {
  it("holds only its own organisation's slot: other organisations and the API go on", async () => {
    const dead = await deadReceiver();
    try {
      const created = ok(await b.client.mutate("webhooks.create", { org: b.slug, url: `${dead.url}/never`, events: ["task.created"] }));
      secrets.push(created.secret);
      const live = await hook(a, "/alive", ["task.created"]);
      ok(await task(b, "First in line"));
      ok(await task(a, "Behind a dead receiver"));
      const d = instance.services.webhooks;
      const run = d.runOnce();
      await dead.arrival;
      // B's request hangs; A's delivery completes regardless.
      await vi.waitFor(async () => expect((await deliveries(a, live.webhook.id))[0]).toMatchObject({ status: "delivered" }));
      expect(d.inFlight().has(b.tenantId)).toBe(true);
      // The API answers while B's delivery hangs, and B's new event waits behind B's one slot.
      ok(await task(b, "Made while the receiver hangs"));
      ok(await task(a, "Also made meanwhile"));
      expect(await deliveries(b, created.webhook.id)).toEqual([
        expect.objectContaining({ status: "pending", attempts: 0 }),
        expect.objectContaining({ status: "pending", attempts: 0 }),
      ]);
      await d.tick(); // A's new delivery goes out; B gets no second request in flight
      expect(rx.on("/alive")).toHaveLength(2);
      expect(dead.hits()).toBe(1);
      dead.kill();
      await run;
      // The hung attempt counts as a failed one and waits for its back-off (the turn may go on to B's next).
      const logged = await deliveries(b, created.webhook.id);
      expect(logged[1]).toMatchObject({ status: "pending", attempts: 1, status_code: null, error: expect.any(String) });
      await a.client.mutate("webhooks.delete", { org: a.slug, id: live.webhook.id });
      await b.client.mutate("webhooks.delete", { org: b.slug, id: created.webhook.id });
    } finally {
      dead.kill();
      await dead.close();
    }
  });

  it("times out a receiver that never answers and retries later", async () => {
    const dead = await deadReceiver();
    const d = instance.services.webhooks;
    const before = d.options.timeoutMs;
    d.options.timeoutMs = 200;
    try {
      const created = ok(await b.client.mutate("webhooks.create", { org: b.slug, url: `${dead.url}/slow`, events: ["task.created"] }));
      secrets.push(created.secret);
      ok(await task(b));
      await d.runOnce();
      expect(dead.hits()).toBe(1);
      expect((await deliveries(b, created.webhook.id))[0]).toMatchObject({
        status: "pending",
        attempts: 1,
        error: "no answer within 200 ms",
      });
      await b.client.mutate("webhooks.delete", { org: b.slug, id: created.webhook.id });
    } finally {
      d.options.timeoutMs = before;
      dead.kill();
      await dead.close();
    }
  });
});

describe("access", () => {
  it("refuses another organisation's webhook and delivery ids", async () => {
    const theirs = await hook(b, "/theirs", ["task.created"]);
    ok(await task(b));
    await instance.services.webhooks.runOnce();
    const [delivery] = await deliveries(b, theirs.webhook.id);
    for (const [path, input] of [
      ["webhooks.update", { id: theirs.webhook.id, active: false }],
      ["webhooks.delete", { id: theirs.webhook.id }],
      ["webhooks.rotateSecret", { id: theirs.webhook.id }],
      ["webhooks.redeliver", { id: delivery.id }],
    ] as const) {
      const res = await a.client.mutate(path, { org: a.slug, ...input });
      expect(res.status, path).toBe(404);
    }
    expect((await a.client.query("webhooks.deliveries", { org: a.slug, webhookId: theirs.webhook.id })).status).toBe(404);
    expect(ok(await a.client.query("webhooks.list", { org: a.slug })).map((w: { id: string }) => w.id)).not.toContain(theirs.webhook.id);
    expect((await a.client.query("webhooks.list", { org: b.slug })).status).toBe(404);
    expect(ok(await b.client.query("webhooks.list", { org: b.slug }))).toContainEqual(
      expect.objectContaining({ id: theirs.webhook.id, active: true }),
    );
  });

  it("refuses private and loopback hosts outside tests", async () => {
    for (const url of [
      "http://127.0.0.1/x",
      "http://10.1.2.3/",
      "http://192.168.0.10/",
      "http://169.254.169.254/latest",
      "http://[::1]/",
      "http://[::ffff:127.0.0.1]/",
      "http://localhost:8080/",
      "http://api.localhost/",
    ]) {
      expect(await privateHostProblem(url, false), url).not.toBeNull();
    }
    expect(await privateHostProblem("https://93.184.216.34/hooks", false)).toBeNull();
    expect(await privateHostProblem("http://127.0.0.1/x", true)).toBeNull();
  });

  it("never shows a secret again: not in lists, delivery logs, audit rows, the file or the logs", async () => {
    expect(secrets.length).toBeGreaterThan(5);
    const seen: string[] = [];
    for (const o of [a, b]) {
      const hooks = ok(await o.client.query("webhooks.list", { org: o.slug }));
      seen.push(JSON.stringify(hooks));
      for (const h of hooks) seen.push(JSON.stringify(await deliveries(o, h.id)));
      seen.push(JSON.stringify(ok(await o.client.query("audit.list", { org: o.slug, limit: 200 }))));
      seen.push(JSON.stringify(tenantRows(instance.dataDir, o.tenantId, "select * from audit_log")));
      seen.push(JSON.stringify(tenantRows(instance.dataDir, o.tenantId, "select id, url, events, hex(secret) as secret from webhooks")));
      seen.push(JSON.stringify(tenantRows(instance.dataDir, o.tenantId, "select * from webhook_deliveries")));
    }
    seen.push(instance.logs.join("\n"));
    const everything = seen.join("\n");
    expect(everything).toContain("webhook.create");
    for (const secret of secrets) {
      expect(everything).not.toContain(secret);
      expect(everything.toLowerCase()).not.toContain(Buffer.from(secret).toString("hex"));
    }
  });
});
