import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../auth/accounts";
import { appRouter } from "../routers/_app";
import { sweepExpiredGrants } from "../support/grants";
import { tenantProcedurePaths } from "../trpc/access-check";
import { Client } from "./support/client";
import { STRONG_PASSWORD, uniqueEmail, userWithOrg, verifiedUser } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import { tenantCalls, type Target } from "./support/procedure-inputs";
import { tenantDigest, tenantRows } from "./support/tenant-files";

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
let target: Target;
const org = "acme-support";

async function staffClient(name = "Sam Support") {
  const email = uniqueEmail("staff");
  await createUser(instance.services, { name, email, password: STRONG_PASSWORD, isStaff: true, verified: true });
  const client = new Client(instance.url);
  expect((await client.mutate("auth.login", { email, password: STRONG_PASSWORD })).status).toBe(200);
  return { client, email };
}

async function grant(scope: "read" | "write", hours = 1) {
  const res = await owner.client.mutate("support.createGrant", { org, scope, hours, reason: "Ticket 42: totals look wrong" });
  expect(res.status).toBe(200);
  return { id: res.data.id as string, token: new URL(res.data.link).searchParams.get("token")! };
}

async function redeem(client: Client, token: string) {
  await client.mutate("support.stashLink", { token });
  return client.mutate("support.redeem", { acknowledgeReason: true });
}

async function securityEvents(event: string) {
  return instance.services.control.selectFrom("security_log").selectAll().where("event", "=", event).execute();
}

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, org);
  const client = await owner.client.mutate("clients.create", { org, name: "Globex" });
  const project = await owner.client.mutate("projects.create", { org, clientId: client.data.id, name: "Portal" });
  target = { slug: org, clientId: client.data.id, projectId: project.data.id };
});
afterAll(() => instance.stop());

describe("staff without a grant", () => {
  it.each(tenantProcedurePaths(appRouter))("cannot reach %s, and the file is never opened", async (path) => {
    const { client } = await staffClient();
    await instance.services.pool.closeAll();
    const opens = instance.services.pool.opens;
    const call = tenantCalls[path]!;
    const res = call.kind === "query" ? await client.query(path, call.input(target)) : await client.mutate(path, call.input(target));
    expect(res.status).toBe(404);
    expect(instance.services.pool.opens).toBe(opens);
  });

  it("cannot create an organisation of its own", async () => {
    const { client } = await staffClient();
    expect((await client.mutate("orgs.create", { name: "Staff Org", slug: "staff-org" })).status).toBe(403);
  });
});

describe("grant lifecycle", () => {
  it("stores only the token's hash", async () => {
    const { token, id } = await grant("read");
    const row = await instance.services.control.selectFrom("support_grants").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(token);
    const files = ["control.sqlite", "control.sqlite-wal"].map((f) => {
      try {
        return readFileSync(join(instance.dataDir, f)).toString("latin1");
      } catch {
        return "";
      }
    });
    for (const bytes of files) expect(bytes).not.toContain(token);
  });

  it("read scope: redeem once, read allowed and audited, writes refused, revocation bites on the next request", async () => {
    const { token, id } = await grant("read");
    const { client, email } = await staffClient();
    const stash = await client.mutate("support.stashLink", { token });
    expect(stash.setCookies.join()).toMatch(/opslayer_support_link=.*HttpOnly/i);
    const pending = await client.query("support.pending");
    expect(pending.data).toMatchObject({ org: { slug: org }, scope: "read", reason: "Ticket 42: totals look wrong" });
    expect((await client.mutate("support.redeem", { acknowledgeReason: false })).status).toBe(400);
    const redeemed = await client.mutate("support.redeem", { acknowledgeReason: true });
    expect(redeemed.status).toBe(200);
    expect(redeemed.data).toEqual({ slug: org });
    expect(client.cookies.has("opslayer_support_link")).toBe(false);

    const list = await client.query("clients.list", { org });
    expect(list.status).toBe(200);
    expect(list.data.map((c: { name: string }) => c.name)).toContain("Globex");
    const current = await client.query("support.current");
    expect(current.data).toMatchObject({ slug: org, scope: "read" });

    const before = tenantDigest(instance.dataDir, owner.tenantId);
    const write = await client.mutate("clients.create", { org, name: "Sneaky" });
    expect(write.status).toBe(403);
    expect(write.error?.message).toMatch(/read-only/);
    const rows = tenantRows<{ action: string; actor_kind: string; actor_id: string; ip: string }>(
      instance.dataDir,
      owner.tenantId,
      "select action, actor_kind, actor_id, ip from audit_log where actor_kind = 'support'",
    );
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(["support.session_started", "support.query", "support.mutation"]));
    for (const r of rows) expect(r.ip).toBe("127.0.0.1");
    expect(tenantDigest(instance.dataDir, owner.tenantId)).not.toBe(before); // only by the audit row of the refused attempt
    expect(tenantRows(instance.dataDir, owner.tenantId, "select * from clients where name = 'Sneaky'")).toEqual([]);

    const activity = await owner.client.query("support.activity", { org });
    expect(activity.data.active).toHaveLength(1);
    expect(activity.data.active[0]).toMatchObject({ scope: "read", staffEmail: email });
    expect(activity.data.actions.length).toBeGreaterThan(0);

    expect((await owner.client.mutate("support.revokeGrant", { org, id })).status).toBe(200);
    expect((await client.query("clients.list", { org })).status).toBe(404);
    expect((await client.query("support.current")).data).toBeNull();
    expect((await securityEvents("support.grant_revoked")).some((e) => JSON.parse(e.detail).grant === id)).toBe(true);
  });

  it("write scope allows ordinary changes, audited as support, but never management", async () => {
    const { token } = await grant("write");
    const { client } = await staffClient();
    expect((await redeem(client, token)).status).toBe(200);
    const created = await client.mutate("clients.create", { org, name: "Fixed by support" });
    expect(created.status).toBe(200);
    const rows = tenantRows<{ actor_kind: string; action: string }>(
      instance.dataDir,
      owner.tenantId,
      `select actor_kind, action from audit_log where target_id = '${created.data.id}'`,
    );
    expect(rows).toEqual([{ actor_kind: "support", action: "client.create" }]);
    const grantMore = await client.mutate("support.createGrant", { org, scope: "write", hours: 168, reason: "extend myself please" });
    expect(grantMore.status).toBe(403);
  });

  it("refuses a second redemption, by another staff member or the same one", async () => {
    const { token } = await grant("read");
    const first = await staffClient("First");
    expect((await redeem(first.client, token)).status).toBe(200);
    const second = await staffClient("Second");
    const again = await redeem(second.client, token);
    expect(again.status).toBe(404);
    expect(again.error?.message).toBe("This support link has already been used.");
    expect((await second.client.query("clients.list", { org })).status).toBe(404);
    expect((await redeem(first.client, token)).status).toBe(404);
    expect((await securityEvents("support.redeem_refused")).some((e) => JSON.parse(e.detail).reason === "used")).toBe(true);
  });

  it("refuses a non-staff user, and logs it", async () => {
    const { token } = await grant("read");
    const member = await verifiedUser(instance, "Not Staff");
    const res = await redeem(member.client, token);
    expect(res.status).toBe(403);
    expect(res.error?.message).toBe("Only platform staff can use a support link.");
    expect((await member.client.query("clients.list", { org })).status).toBe(404);
    const refused = await securityEvents("support.redeem_refused");
    expect(refused.some((e) => e.email === member.email && JSON.parse(e.detail).reason === "not_staff")).toBe(true);
  });

  it("refuses tampered and random tokens", async () => {
    const { token } = await grant("read");
    const { client } = await staffClient();
    const flipped = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    expect((await redeem(client, flipped)).status).toBe(404);
    expect((await redeem(client, "x".repeat(43))).status).toBe(404);
    expect((await client.mutate("support.stashLink", { token: "short" })).status).toBe(400);
    // The genuine token is still unspent.
    expect((await redeem(client, token)).status).toBe(200);
  });

  it("ends at expiry on the very next request, and the expiry is logged once", async () => {
    const { token, id } = await grant("read", 1);
    const { client } = await staffClient();
    expect((await redeem(client, token)).status).toBe(200);
    expect((await client.query("projects.list", { org })).status).toBe(200);
    instance.clock.advance(60 * 60_000 + 1);
    try {
      expect((await client.query("projects.list", { org })).status).toBe(404);
      expect(await sweepExpiredGrants(instance.services)).toBeGreaterThanOrEqual(1);
      await sweepExpiredGrants(instance.services);
      expect((await securityEvents("support.grant_expired")).filter((e) => JSON.parse(e.detail).grant === id)).toHaveLength(1);
      const listed = await owner.client.query("support.listGrants", { org });
      expect(listed.data.find((g: { id: string }) => g.id === id).state).toBe("expired");
    } finally {
      instance.clock.advance(-(60 * 60_000 + 1));
    }
  });

  it("refuses an expired link before redemption", async () => {
    const { token } = await grant("read", 1);
    const { client } = await staffClient();
    instance.clock.advance(2 * 60 * 60_000);
    try {
      const res = await redeem(client, token);
      expect(res.status).toBe(404);
      expect(res.error?.message).toBe("This support link has expired.");
    } finally {
      instance.clock.advance(-2 * 60 * 60_000);
    }
  });

  it("binds the support session to its staff member: the cookie alone is not enough", async () => {
    const { token } = await grant("read");
    const staff = await staffClient();
    expect((await redeem(staff.client, token)).status).toBe(200);
    const other = await staffClient("Other");
    other.client.cookies.set("opslayer_support", staff.client.cookies.get("opslayer_support")!);
    expect((await other.client.query("clients.list", { org })).status).toBe(404);
  });

  it("ends the support session when the staff member logs out", async () => {
    const { token } = await grant("read");
    const staff = await staffClient();
    expect((await redeem(staff.client, token)).status).toBe(200);
    const supportCookie = staff.client.cookies.get("opslayer_support")!;
    expect((await staff.client.mutate("auth.logout")).status).toBe(200);
    expect(staff.client.cookies.has("opslayer_support")).toBe(false);
    expect((await staff.client.mutate("auth.login", { email: staff.email, password: STRONG_PASSWORD })).status).toBe(200);
    staff.client.cookies.set("opslayer_support", supportCookie);
    expect((await staff.client.query("clients.list", { org })).status).toBe(404);
  });

  it("validates grant input", async () => {
    for (const bad of [
      { scope: "root", hours: 1, reason: "valid reason" },
      { scope: "read", hours: 0, reason: "valid reason" },
      { scope: "read", hours: 169, reason: "valid reason" },
      { scope: "read", hours: 1, reason: "no" },
    ]) {
      expect((await owner.client.mutate("support.createGrant", { org, ...bad })).status).toBe(400);
    }
  });
});
