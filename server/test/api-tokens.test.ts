import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BearerClient } from "./support/api-client";
import { inviteMember, userWithOrg } from "./support/accounts";
import { Client, type CallResult } from "./support/client";
import { startInstance, type Instance } from "./support/instance";

/**
 * Personal API tokens over real HTTP: minted by a member's session, used with `Authorization:
 * Bearer`, admitted by the tenant door only for their own organisation, with scopes ∩ the member's
 * current role, and never shown again after the create answer.
 */

const DAY = 24 * 60 * 60_000;
let instance: Instance;
let a: Awaited<ReturnType<typeof userWithOrg>>;
let b: Awaited<ReturnType<typeof userWithOrg>>;
/** A manager of A, to be demoted and later removed. */
let manager: Awaited<ReturnType<typeof inviteMember>>;

/** Every token minted, and every answer other than a create answer: the secret must appear in none. */
const secrets: string[] = [];
const answers: string[] = [];
function seen<T extends CallResult>(res: T): T {
  answers.push(JSON.stringify({ data: res.data, error: res.error, cookies: res.setCookies }));
  return res;
}

async function mint(client: Client, org: string, scopes: string[], expiresInDays = 30, name = "CI script") {
  const res = await client.mutate("apiTokens.create", { org, name, scopes, expiresInDays });
  expect(res.status, JSON.stringify(res.error)).toBe(200);
  expect(res.data.token).toMatch(/^opl_[A-Za-z0-9_-]{43}$/);
  secrets.push(res.data.token);
  return { id: res.data.id as string, api: new BearerClient(instance.url, res.data.token) };
}

const listOf = async (client: Client, org: string) =>
  seen(await client.query("apiTokens.list", { org })).data as { id: string; state: string; lastUsedAt: number | null; scopes: string[] }[];

beforeAll(async () => {
  instance = await startInstance();
  a = await userWithOrg(instance, "tok-a");
  b = await userWithOrg(instance, "tok-b");
  manager = await inviteMember(instance, a.client, a.slug, "manager", { name: "Manny Manager" });
}, 60_000);
afterAll(() => instance.stop());

describe("API tokens", () => {
  it("work within their scopes and are refused outside them (403)", async () => {
    const { api } = await mint(a.client, a.slug, ["client.read", "client.create"]);
    const created = seen(await api.mutate("clients.create", { org: a.slug, name: "Made by a script" }));
    expect(created.status).toBe(200);
    const listed = seen(await api.query("clients.list", { org: a.slug }));
    expect(listed.status).toBe(200);
    expect(listed.data.map((c: { name: string }) => c.name)).toContain("Made by a script");
    const outside = seen(await api.query("members.list", { org: a.slug }));
    expect(outside.status).toBe(403);
    expect(outside.error?.code).toBe("FORBIDDEN");
    expect(outside.error?.message).toContain("needs member.read");
    // Minting more tokens with a token is refused, even with the scope.
    const { api: minter } = await mint(a.client, a.slug, ["api.tokens"]);
    const again = seen(await minter.mutate("apiTokens.create", { org: a.slug, name: "child", scopes: ["api.tokens"], expiresInDays: 1 }));
    expect(again.status).toBe(403);
  });

  it("records mutations made through a token with actor kind api", async () => {
    const { api } = await mint(a.client, a.slug, ["client.create"]);
    const created = seen(await api.mutate("clients.create", { org: a.slug, name: "Audited via API" }));
    expect(created.status).toBe(200);
    const log = seen(await a.client.query("audit.list", { org: a.slug, targetId: created.data.id }));
    expect(log.data.items.map((e: { action: string; actorKind: string }) => [e.action, e.actorKind])).toEqual([["client.create", "api"]]);
    const own = seen(await a.client.query("audit.list", { org: a.slug, action: "api_token.create" }));
    expect(own.data.items.length).toBeGreaterThan(0);
    expect(own.data.items.every((e: { actorKind: string }) => e.actorKind === "user")).toBe(true);
  });

  it("cannot be minted with scopes the creator does not hold", async () => {
    const member = await inviteMember(instance, a.client, a.slug, "member");
    const res = seen(
      await member.client.mutate("apiTokens.create", {
        org: a.slug,
        name: "Escalate",
        scopes: ["task.read", "org.delete", "member.remove"],
        expiresInDays: 30,
      }),
    );
    expect(res.status).toBe(403);
    expect(res.error?.code).toBe("FORBIDDEN");
    expect(res.error?.message).toContain("org.delete");
    expect(await listOf(member.client, a.slug)).toEqual([]);
    await mint(member.client, a.slug, ["task.read"]);
    const list = seen(await member.client.query("apiTokens.list", { org: a.slug }));
    expect(list.data).toHaveLength(1);
  });

  it("open only their own organisation, even one the owner also belongs to (404)", async () => {
    await inviteMember(instance, b.client, b.slug, "member", { email: a.email, existing: a.client });
    expect((await a.client.query("clients.list", { org: b.slug })).status).toBe(200);
    const { api } = await mint(a.client, a.slug, ["client.read"]);
    const res = seen(await api.query("clients.list", { org: b.slug }));
    expect(res.status).toBe(404);
    expect(res.error?.message).toBe("Organisation not found.");
    expect(seen(await api.query("clients.list", { org: "no-such-org" })).status).toBe(404);
  });

  it("are refused by every procedure outside the tenant door", async () => {
    const { api } = await mint(a.client, a.slug, ["client.read"]);
    for (const [kind, path, input] of [
      ["query", "orgs.mine", undefined],
      ["query", "account.sessions", undefined],
      ["query", "auth.status", undefined],
      ["mutation", "auth.logout", undefined],
      ["mutation", "orgs.create", { name: "Via token", slug: "via-token" }],
    ] as const) {
      const res = seen(kind === "query" ? await api.query(path, input) : await api.mutate(path, input));
      expect(res.status, path).toBe(403);
      expect(res.error?.message).toContain("API tokens");
    }
  });

  it("expire", async () => {
    const { api } = await mint(a.client, a.slug, ["client.read"], 1);
    expect(seen(await api.query("clients.list", { org: a.slug })).status).toBe(200);
    instance.clock.advance(DAY);
    const res = seen(await api.query("clients.list", { org: a.slug }));
    expect(res.status).toBe(401);
    expect(res.error?.code).toBe("UNAUTHORIZED");
    expect((await listOf(a.client, a.slug)).find((t) => t.state === "expired")).toBeTruthy();
  });

  it("are refused once revoked, and only their owner can revoke them", async () => {
    const { id, api } = await mint(a.client, a.slug, ["client.read"]);
    expect(seen(await api.query("clients.list", { org: a.slug })).status).toBe(200);
    // Another member of the organisation cannot see or revoke it.
    expect(seen(await manager.client.mutate("apiTokens.revoke", { org: a.slug, id })).status).toBe(404);
    expect(seen(await api.query("clients.list", { org: a.slug })).status).toBe(200);
    const revoked = seen(await a.client.mutate("apiTokens.revoke", { org: a.slug, id }));
    expect(revoked.status).toBe(200);
    const res = seen(await api.query("clients.list", { org: a.slug }));
    expect(res.status).toBe(401);
    expect((await listOf(a.client, a.slug)).find((t) => t.id === id)?.state).toBe("revoked");
    const log = seen(await a.client.query("audit.list", { org: a.slug, targetId: id }));
    expect(log.data.items.map((e: { action: string }) => e.action).sort()).toEqual(["api_token.create", "api_token.revoke"]);
  });

  it("narrow at once when the member's role is downgraded, and die with the membership", async () => {
    const { id, api } = await mint(manager.client, a.slug, ["client.read", "client.create"]);
    expect(seen(await api.mutate("clients.create", { org: a.slug, name: "Manager's script" })).status).toBe(200);
    expect((await a.client.mutate("members.setRole", { org: a.slug, userId: manager.userId, role: "member" })).status).toBe(200);
    const narrowed = seen(await api.mutate("clients.create", { org: a.slug, name: "Not any more" }));
    expect(narrowed.status).toBe(403);
    expect(narrowed.error?.message).toContain("needs client.create");
    expect(seen(await api.query("clients.list", { org: a.slug })).status).toBe(200);
    // Stored scopes are unchanged: promoting again restores them.
    expect((await listOf(manager.client, a.slug)).find((t) => t.id === id)?.scopes).toEqual(["client.create", "client.read"]);

    // The door checks membership itself (the control row is what opens it)...
    const membership = await instance.services.control
      .selectFrom("memberships")
      .selectAll()
      .where("user_id", "=", manager.userId)
      .executeTakeFirstOrThrow();
    await instance.services.control.deleteFrom("memberships").where("user_id", "=", manager.userId).execute();
    expect(seen(await api.query("clients.list", { org: a.slug })).status).toBe(404);
    await instance.services.control.insertInto("memberships").values(membership).execute();
    expect(seen(await api.query("clients.list", { org: a.slug })).status).toBe(200);

    // ...and removal also revokes the member's tokens, so rejoining does not revive them.
    expect((await a.client.mutate("members.remove", { org: a.slug, userId: manager.userId })).status).toBe(200);
    expect(seen(await api.query("clients.list", { org: a.slug })).status).toBe(401);
    const row = await instance.services.control
      .selectFrom("api_tokens")
      .select("revoked_at")
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(row.revoked_at).not.toBeNull();
  });

  it("record their last use at most once a minute", async () => {
    const { id, api } = await mint(a.client, a.slug, ["client.read"]);
    const lastUsed = async () => (await listOf(a.client, a.slug)).find((t) => t.id === id)!.lastUsedAt;
    expect(await lastUsed()).toBeNull();
    await api.query("clients.list", { org: a.slug });
    const first = await lastUsed();
    expect(first).toBe(instance.clock.now());
    instance.clock.advance(30_000);
    await api.query("clients.list", { org: a.slug });
    expect(await lastUsed()).toBe(first);
    instance.clock.advance(31_000);
    await api.query("clients.list", { org: a.slug });
    expect(await lastUsed()).toBe(instance.clock.now());
  });

  it("need no Origin header, and a Bearer request never rides on the session cookie", async () => {
    // A script sends no Origin: the CSRF check does not apply to Bearer calls.
    const { api } = await mint(a.client, a.slug, ["client.create"]);
    expect(seen(await api.mutate("clients.create", { org: a.slug, name: "No origin" })).status).toBe(200);
    // A junk Bearer header next to a live session cookie, without Origin: the cookie is ignored, so 401.
    const forged = await a.client.raw("POST", "/api/trpc/clients.create", JSON.stringify({ org: a.slug, name: "Forged" }), {
      "content-type": "application/json",
      authorization: "Bearer opl_not-a-real-token",
    });
    expect(forged.status).toBe(401);
    const names = (await a.client.query("clients.list", { org: a.slug })).data.map((c: { name: string }) => c.name);
    expect(names).not.toContain("Forged");
    // Without a Bearer header the Origin check still refuses a cookie-only POST.
    const cookieOnly = await a.client.raw("POST", "/api/trpc/clients.create", JSON.stringify({ org: a.slug, name: "Forged" }), {
      "content-type": "application/json",
    });
    expect(cookieOnly.status).toBe(403);
    // Other schemes and malformed tokens are simply unauthenticated.
    expect(seen(await new BearerClient(instance.url, "opl_" + "A".repeat(43)).query("clients.list", { org: a.slug })).status).toBe(401);
  });

  it("never show the secret again: not in answers, log lines, audit details or the database", async () => {
    expect(secrets.length).toBeGreaterThan(5);
    const everyAnswer = answers.join("\n");
    const logs = instance.logs.join("\n");
    const lease = await instance.services.pool.acquire(a.tenantId);
    let audit: string;
    try {
      audit = JSON.stringify(await lease.db.selectFrom("audit_log").selectAll().execute());
    } finally {
      lease.release();
    }
    const files = readdirSync(instance.dataDir, { recursive: true, withFileTypes: true })
      .filter((f) => f.isFile())
      .map((f) => readFileSync(join(f.parentPath, f.name)).toString("latin1"))
      .join("\n");
    for (const secret of secrets) {
      expect(everyAnswer).not.toContain(secret);
      expect(logs).not.toContain(secret);
      expect(audit).not.toContain(secret);
      expect(files).not.toContain(secret);
    }
  });
});
