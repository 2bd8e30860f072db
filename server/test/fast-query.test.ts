import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../auth/tokens";
import { addMember, STRONG_PASSWORD, uniqueEmail, userWithOrg, verifiedUser } from "./support/accounts";
import { Client } from "./support/client";
import { startInstance, type Instance } from "./support/instance";

/**
 * Single GET queries are answered by server/http/fast-query.ts instead of tRPC's Node adapter. Each
 * request here is sent twice through the real server: as is (fast path), and with
 * `content-type: application/json`, which tRPC reads exactly like no content type on a GET but which
 * the fast path leaves to the standard handler. Status, body, cookies and headers must agree.
 * Which path answered shows in the framing: the fast path sends Content-Length, the adapter streams.
 */

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
let outsider: Awaited<ReturnType<typeof userWithOrg>>;
let clientId: string;
let projectId: string;
const org = "fast-org";

const SECURITY_HEADERS = [
  "x-content-type-options",
  "x-frame-options",
  "referrer-policy",
  "cross-origin-opener-policy",
  "strict-transport-security",
];

interface Answer {
  status: number;
  body: string;
  setCookies: string[];
  headers: Record<string, string | null>;
  fast: boolean;
}

async function get(url: string, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(instance.url + url, { headers, redirect: "manual" });
  const body = await res.text();
  return {
    status: res.status,
    body,
    // The renewed cookie's Expires is "now + idle timeout": it may tick over a second between the two.
    setCookies: res.headers.getSetCookie().map((c) => c.replace(/Expires=[^;]*/i, "Expires=<t>")),
    headers: Object.fromEntries([...SECURITY_HEADERS, "content-type", "vary", "allow"].map((h) => [h, res.headers.get(h)])),
    fast: res.headers.get("content-length") !== null && res.headers.get("transfer-encoding") === null,
  };
}

/** Sends one request both ways; `before` runs before each, to put the database in the same state. */
async function bothWays(url: string, headers: Record<string, string> = {}, before?: () => Promise<void>) {
  await before?.();
  const fast = await get(url, headers);
  await before?.();
  const standard = await get(url, { ...headers, "content-type": "application/json" });
  expect(standard.fast).toBe(false);
  const { fast: _f, ...fastAnswer } = fast;
  const { fast: _s, ...standardAnswer } = standard;
  expect(fastAnswer).toEqual(standardAnswer);
  return { ...fast, json: JSON.parse(fast.body) };
}

const q = (path: string, input?: unknown) =>
  `/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`;

const cookieOf = (client: Client) => ({ cookie: client.cookieHeader() });

async function setRole(tenantId: string, userId: string, role: string) {
  const lease = await instance.services.pool.acquire(tenantId);
  try {
    await lease.db.updateTable("members").set({ role }).where("user_id", "=", userId).execute();
  } finally {
    lease.release();
  }
}

async function login(email: string) {
  const client = new Client(instance.url);
  expect((await client.mutate("auth.login", { email, password: STRONG_PASSWORD })).status).toBe(200);
  return client;
}

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, org);
  outsider = await userWithOrg(instance, "fast-other");
  clientId = (await owner.client.mutate("clients.create", { org, name: "Acme" })).data.id;
  const other = (await owner.client.mutate("clients.create", { org, name: "Beta" })).data.id;
  for (const [name, client] of [
    ["Website", clientId],
    ["App", clientId],
    ["Brand refresh", other],
    ["Old site", other],
  ] as const) {
    projectId = (await owner.client.mutate("projects.create", { org, clientId: client, name })).data.id;
  }
  expect((await owner.client.mutate("projects.setArchived", { org, id: projectId, archived: true })).status).toBe(200);
});
afterAll(() => instance.stop());

describe("fast path answers like the tRPC adapter", () => {
  it("successful queries, including every list filter", async () => {
    const owned = cookieOf(owner.client);
    const cases = [
      q("projects.list", { org, limit: 50 }),
      q("projects.list", { org, includeArchived: true }),
      q("projects.list", { org, clientId, search: "SITE", limit: 1, offset: 0 }),
      q("projects.list", { org, search: "o", includeArchived: true, limit: 2, offset: 1 }),
      q("projects.list", { org: "  FAST-ORG  " }),
      q("projects.get", { org, id: projectId }),
      q("clients.list", { org }),
      q("orgs.mine"),
      q("auth.status"),
    ];
    for (const url of cases) {
      const res = await bothWays(url, owned);
      expect(res.status, url).toBe(200);
      expect(res.fast, url).toBe(true);
    }
    const list = await bothWays(q("projects.list", { org, limit: 50 }), owned);
    expect(list.json.result.data.map((p: { name: string }) => p.name)).toEqual(["App", "Brand refresh", "Website"]);
    const filtered = await bothWays(q("projects.list", { org, clientId, search: "SITE", includeArchived: true }), owned);
    expect(filtered.json.result.data.map((p: { name: string }) => p.name)).toEqual(["Website"]);
    expect((await bothWays(q("auth.status"))).json.result.data.viewer).toBeNull();
  });

  it("400 bad input, with the same message, data.code and data.fieldErrors", async () => {
    const owned = cookieOf(owner.client);
    const limit = await bothWays(q("projects.list", { org, limit: 0 }), owned);
    expect(limit.status).toBe(400);
    expect(limit.fast).toBe(true);
    expect(limit.json.error.data.code).toBe("BAD_REQUEST");
    expect(limit.json.error.data.path).toBe("projects.list");
    expect(limit.json.error.data.fieldErrors).toEqual({ limit: [expect.any(String)] });
    for (const input of [
      { org, clientId: "x" },
      { org, limit: 1.5, offset: -1 },
      { org, id: 7 },
    ]) {
      const path = "id" in input ? "projects.get" : "projects.list";
      const res = await bothWays(q(path, input), owned);
      expect(res.status).toBe(400);
      expect(res.json.error.data.fieldErrors).not.toBeNull();
    }
    for (const raw of ["{not json", "[1,", "undefined"]) {
      const res = await bothWays(`/api/trpc/projects.list?input=${encodeURIComponent(raw)}`, owned);
      expect(res.status).toBe(400);
      expect(res.fast).toBe(true);
      expect(res.json.error.data.code).toBe("BAD_REQUEST");
    }
  });

  it("401 without a session, 403 unverified, 403 for a role without the permission", async () => {
    const anonymous = await bothWays(q("projects.list", { org }));
    expect(anonymous.status).toBe(401);
    expect(anonymous.fast).toBe(true);
    expect((await bothWays(q("orgs.mine"))).status).toBe(401);

    const unverified = new Client(instance.url);
    expect(
      (await unverified.mutate("auth.signup", { name: "Not Yet", email: uniqueEmail("unverified"), password: STRONG_PASSWORD })).status,
    ).toBe(200);
    const notConfirmed = await bothWays(q("projects.list", { org }), cookieOf(unverified));
    expect(notConfirmed.status).toBe(403);
    expect(notConfirmed.json.error.data.code).toBe("FORBIDDEN");

    const member = await verifiedUser(instance, "Role Changes");
    const user = await addMember(instance, owner.tenantId, member.email, "manager");
    expect((await bothWays(q("projects.list", { org }), cookieOf(member.client))).status).toBe(200);
    // The role is read on every request: the change applies to the very next one, on both paths.
    await setRole(owner.tenantId, user.id, "no-such-role");
    const refused = await bothWays(q("projects.list", { org }), cookieOf(member.client));
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toBe("Your role does not allow this (needs project.read).");
    await setRole(owner.tenantId, user.id, "manager");
    expect((await bothWays(q("projects.list", { org }), cookieOf(member.client))).status).toBe(200);
  });

  it("404 for another organisation, an unknown one, a removed membership and a missing record", async () => {
    const owned = cookieOf(owner.client);
    for (const input of [{ org: "fast-other" }, { org: "no-such-org" }]) {
      const res = await bothWays(q("projects.list", input), owned);
      expect(res.status).toBe(404);
      expect(res.fast).toBe(true);
      expect(res.json.error.message).toBe("Organisation not found.");
    }
    // Not a slug at all, or no input: refused before any lookup, the same way on both paths.
    for (const url of [q("projects.list", { org: "NOT A SLUG" }), q("projects.list", {}), q("projects.list")]) {
      expect([400, 404]).toContain((await bothWays(url, owned)).status);
    }
    const missing = await bothWays(q("projects.get", { org, id: "p_000000000000000000000000" }), owned);
    expect([400, 404]).toContain(missing.status);

    const member = await verifiedUser(instance, "Leaves Soon");
    const user = await addMember(instance, outsider.tenantId, member.email, "manager");
    expect((await bothWays(q("projects.list", { org: "fast-other" }), cookieOf(member.client))).status).toBe(200);
    await instance.services.control.deleteFrom("memberships").where("user_id", "=", user.id).execute();
    const removed = await bothWays(q("projects.list", { org: "fast-other" }), cookieOf(member.client));
    expect(removed.status).toBe(404);
    expect(removed.fast).toBe(true);
  });

  it("500 when the tenant file is missing: same body, logged once per request", async () => {
    const tenantId = `t${"z".repeat(24)}`;
    const { control } = instance.services;
    const user = await control.selectFrom("users").select("id").where("email", "=", owner.email).executeTakeFirstOrThrow();
    await control
      .insertInto("tenants")
      .values({
        id: tenantId,
        slug: "fast-broken",
        name: "Broken",
        status: "active",
        plan: "standard",
        features: "{}",
        file_name: `${tenantId}.sqlite`,
        wrapped_key: null,
        created_by: user.id,
        created_at: Date.now(),
      })
      .execute();
    await control.insertInto("memberships").values({ user_id: user.id, tenant_id: tenantId, created_at: Date.now() }).execute();
    const logged = instance.logs.length;
    const res = await bothWays(q("projects.list", { org: "fast-broken" }), cookieOf(owner.client));
    expect(res.status).toBe(500);
    expect(res.fast).toBe(true);
    expect(res.json.error.data.code).toBe("INTERNAL_SERVER_ERROR");
    const lines = instance.logs.slice(logged);
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.startsWith("[trpc] projects.list: "))).toBe(true);
  });

  it("leaves to the adapter what it does not handle, and the adapter answers as before", async () => {
    const owned = cookieOf(owner.client);
    const cases: [string, Record<string, string>, number | number[]][] = [
      [q("projects.nope", { org }), owned, 404],
      [q("nope"), owned, 404],
      [q("projects.create", { org, clientId, name: "Via GET" }), owned, 405],
      [q("auth.logout"), owned, 405],
      // A batch whose input is not keyed by index: the org is missing, as tenantContext reports it.
      [`${q("projects.list", { org })}&batch=1`, owned, [400, 404]],
      [`/api/trpc/projects.list,clients.list?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { org }, 1: { org } }))}`, owned, 200],
      [`/api/trpc/projects.list/?input=${encodeURIComponent(JSON.stringify({ org }))}`, owned, 200],
      [`/api/trpc/projects%2Elist?input=${encodeURIComponent(JSON.stringify({ org }))}`, owned, 200],
      [q("constructor"), owned, 404],
      [q("projects.list", { org }), { ...owned, "trpc-accept": "application/jsonl" }, 400],
    ];
    for (const [url, headers, status] of cases) {
      const res = await get(url, headers);
      expect(res.fast, url).toBe(false);
      expect([status].flat(), url).toContain(res.status);
    }
    const mutations = await instance.services.pool.acquire(owner.tenantId);
    try {
      expect(await mutations.db.selectFrom("projects").select("id").where("name", "=", "Via GET").execute()).toEqual([]);
    } finally {
      mutations.release();
    }
  });
});

describe("cookies and headers on the fast path", () => {
  function sessionHashOf(client: Client) {
    return sha256Hex(client.cookies.get("opslayer_session")!);
  }

  it("renews a session past half its idle time, with the same Set-Cookie", async () => {
    const client = await login(owner.email);
    const hash = sessionHashOf(client);
    const nearlyIdle = async () => {
      await instance.services.control
        .updateTable("sessions")
        .set({ expires_at: Date.now() + 60_000 })
        .where("id", "=", hash)
        .execute();
    };
    const res = await bothWays(q("projects.list", { org }), cookieOf(client), nearlyIdle);
    expect(res.fast).toBe(true);
    expect(res.status).toBe(200);
    expect(res.setCookies).toHaveLength(1);
    expect(res.setCookies[0]).toMatch(/^opslayer_session=[^;]+;/);
    const renewed = await instance.services.control
      .selectFrom("sessions")
      .select("expires_at")
      .where("id", "=", hash)
      .executeTakeFirstOrThrow();
    expect(renewed.expires_at).toBeGreaterThan(Date.now() + 60 * 60_000);
  });

  it("sends the blank cookie for an unknown session, and for one past its absolute lifetime", async () => {
    const unknown = await bothWays(q("projects.list", { org }), { cookie: "opslayer_session=not-a-live-session" });
    expect(unknown.status).toBe(401);
    expect(unknown.fast).toBe(true);
    expect(unknown.setCookies).toHaveLength(1);
    expect(unknown.setCookies[0]).toMatch(/^opslayer_session=;/);

    // Two sessions, one per path: the first request over the limit ends its session.
    const sessions = [await login(owner.email), await login(owner.email)];
    const old = instance.clock.now() - instance.services.config.sessionAbsoluteMs - 1;
    for (const s of sessions) {
      await instance.services.control.updateTable("sessions").set({ created_at: old }).where("id", "=", sessionHashOf(s)).execute();
    }
    const fast = await get(q("projects.list", { org }), cookieOf(sessions[0]!));
    const standard = await get(q("projects.list", { org }), { ...cookieOf(sessions[1]!), "content-type": "application/json" });
    expect(fast.fast).toBe(true);
    expect(standard.fast).toBe(false);
    expect(fast.status).toBe(401);
    expect([fast.status, fast.body, fast.setCookies]).toEqual([standard.status, standard.body, standard.setCookies]);
    expect(fast.setCookies[0]).toMatch(/^opslayer_session=;/);
  });

  it("keeps the security headers, content type and Vary", async () => {
    const res = await bothWays(q("projects.list", { org }), cookieOf(owner.client));
    expect(res.fast).toBe(true);
    expect(res.headers).toMatchObject({
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
      "cross-origin-opener-policy": "same-origin",
      "content-type": "application/json",
      vary: "trpc-accept, accept",
    });
  });
});
