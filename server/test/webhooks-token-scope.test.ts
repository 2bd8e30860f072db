import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_PERMISSIONS } from "../permissions/catalogue";
import { userWithOrg } from "./support/accounts";
import { BearerClient } from "./support/api-client";
import { startInstance, type Instance } from "./support/instance";
import { deliverDueWebhooks } from "./support/webhooks";

/**
 * A webhook sends what its owner's member sees (their role), not what the API token that made it may
 * read. A token scoped to webhook.manage alone, of a member who sees everything, must not obtain
 * through a receiver what its scopes refuse it directly (task titles, time, money): such a token may
 * not create a webhook, take one over, nor re-point its member's webhook.
 */

const MARK = `TOKENMARK${process.pid}`;
const org = "hooks-token";

function ok<T>(res: { status: number; data: T; error: unknown }): T {
  if (res.status !== 200) throw new Error(`${res.status}: ${JSON.stringify(res.error)}`);
  return res.data;
}

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
let server: Server;
let url: string;
const bodies: string[] = [];
let projectId: string;

const runOnce = () => deliverDueWebhooks(instance);

beforeAll(async () => {
  instance = await startInstance();
  instance.services.webhooks.stop();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/rx`;
  owner = await userWithOrg(instance, org);
  const clientId = ok(await owner.client.mutate("clients.create", { org, name: "Acme" })).id;
  projectId = ok(await owner.client.mutate("projects.create", { org, clientId, name: `${MARK} project`, hourlyRate: 10_000 })).id;
}, 60_000);
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await instance.stop();
});

describe("a narrow API token cannot widen its sight through a webhook", () => {
  it("a token with only org.view and webhook.manage is refused task reads, and cannot make, take or re-point a webhook", async () => {
    const minted = ok(
      await owner.client.mutate("apiTokens.create", { org, name: "hooks", scopes: ["org.view", "webhook.manage"], expiresInDays: 30 }),
    );
    const api = new BearerClient(instance.url, minted.token);
    expect((await api.query("tasks.list", { org, projectId })).status).toBe(403);

    const events = ["task.created", "time_entry.created"];
    const made = await api.mutate("webhooks.create", { org, url, events });
    expect(made.status).toBe(409);
    expect(JSON.stringify(made.error)).toContain("narrower");

    // The member's own webhook: the narrow token may neither take it over nor point it elsewhere.
    const { webhook } = ok(await owner.client.mutate("webhooks.create", { org, url: `${url}/member`, events }));
    expect((await api.mutate("webhooks.update", { org, id: webhook.id, url })).status).toBe(409);
    expect((await api.mutate("webhooks.takeOwnership", { org, id: webhook.id })).status).toBe(409);

    ok(await owner.client.mutate("tasks.create", { org, projectId, title: `${MARK} task` }));
    await runOnce();
    // Only the member's own receiver heard it; nothing reached a receiver the token chose.
    expect(bodies.some((b) => b.includes(MARK))).toBe(true);
    const hooks = ok<{ url: string }[]>(await owner.client.query("webhooks.list", { org }));
    expect(hooks.map((h) => h.url)).toEqual([`${url}/member`]);

    // A token as wide as its member's role still manages webhooks (owners script them).
    const full = ok(await owner.client.mutate("apiTokens.create", { org, name: "all", scopes: ALL_PERMISSIONS, expiresInDays: 30 }));
    const fullApi = new BearerClient(instance.url, full.token);
    expect((await fullApi.mutate("webhooks.create", { org, url: `${url}/full`, events })).status).toBe(200);
  });
});
