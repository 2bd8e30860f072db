import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenantFilePath } from "../../db/tenant/paths";
import { blobDir } from "../files/storage";
import { purgeClosedOrganisations } from "../tenants/terminate";
import { inviteMember } from "./support/accounts";
import { BearerClient } from "./support/api-client";
import { startInstance, type Instance } from "./support/instance";
import { tenantDigest } from "./support/tenant-files";
import { orgWithData } from "./support/world";

const DAY = 86_400_000;
// One day of grace keeps the test's sessions (idle limit 7 days) alive across it; the default is checked below.
const GRACE = DAY;
let instance: Instance;
let owner: Awaited<ReturnType<typeof orgWithData>>;
let admin: Awaited<ReturnType<typeof inviteMember>>;
let member: Awaited<ReturnType<typeof inviteMember>>;
let token: BearerClient;
const slug = "doomed";

const tenantRow = () => instance.services.control.selectFrom("tenants").selectAll().where("slug", "=", slug).executeTakeFirstOrThrow();
const file = () => tenantFilePath(instance.dataDir, owner.tenantId);
const terminate = (client = owner.client, confirmSlug = slug) => client.mutate("termination.terminate", { org: slug, confirmSlug });

beforeAll(async () => {
  instance = await startInstance({ ORG_GRACE_DAYS: "1" });
  owner = await orgWithData(instance, slug);
  admin = await inviteMember(instance, owner.client, slug, "admin");
  member = await inviteMember(instance, owner.client, slug, "member");
  const minted = await owner.client.mutate("apiTokens.create", { org: slug, name: "script", scopes: ["client.read"], expiresInDays: 30 });
  expect(minted.status).toBe(200);
  token = new BearerClient(instance.url, minted.data.token);
});
afterAll(() => instance.stop());

describe("closing an organisation", () => {
  it("has a grace period of 30 days unless ORG_GRACE_DAYS says otherwise", async () => {
    const { loadConfig } = await import("../config");
    expect(loadConfig({ NODE_ENV: "test", DATA_DIR: instance.dataDir }).orgGraceMs).toBe(30 * DAY);
    expect(instance.services.config.orgGraceMs).toBe(GRACE);
  });

  it("needs org.delete: an admin and a member are refused and nothing changes", async () => {
    const before = tenantDigest(instance.dataDir, owner.tenantId);
    for (const who of [admin.client, member.client]) {
      const res = await terminate(who);
      expect(res.status).toBe(403);
      expect(res.error?.message).toContain("org.delete");
    }
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(before);
    expect((await tenantRow()).status).toBe("active");
  });

  it("needs the address typed exactly", async () => {
    const before = tenantDigest(instance.dataDir, owner.tenantId);
    for (const wrong of ["", "DOOMED", "doome", "doomed-", "o/doomed"]) {
      const res = await terminate(owner.client, wrong);
      expect(res.status).toBe(400);
      expect(res.error?.message).toBe("Type the organisation's address (doomed) to confirm.");
    }
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(before);
    expect((await tenantRow()).status).toBe("active");
  });

  it("closes at once: the door answers 404 to members and tokens, the org leaves orgs.mine and shows in termination.closed", async () => {
    expect((await token.query("clients.list", { org: slug })).status).toBe(200);
    const res = await terminate();
    expect(res.status).toBe(200);
    const now = instance.clock.now();
    expect(res.data.purgeAfter).toBe(now + GRACE);
    const row = await tenantRow();
    expect(row).toMatchObject({ status: "closed", closed_at: now, purge_after: now + GRACE });

    for (const client of [owner.client, admin.client, member.client]) {
      const refused = await client.query("clients.list", { org: slug });
      expect(refused.status).toBe(404);
      expect(refused.error?.message).toBe("Organisation not found.");
      expect((await client.query("orgs.mine")).data.map((o: { slug: string }) => o.slug)).not.toContain(slug);
    }
    expect((await token.query("clients.list", { org: slug })).status).toBe(404);
    expect((await terminate()).status).toBe(404);

    const closed = await owner.client.query("termination.closed");
    expect(closed.data).toEqual([{ slug, name: `Org ${slug}`, closedAt: now, purgeAfter: now + GRACE, closedByYou: true }]);
    // Only those who could close it may restore it, so only they see it.
    expect((await member.client.query("termination.closed")).data).toEqual([]);
    expect((await admin.client.query("termination.closed")).data).toEqual([]);

    const logged = await instance.services.control
      .selectFrom("security_log")
      .select(["event", "detail"])
      .where("event", "=", "org.closed")
      .execute();
    expect(logged).toHaveLength(1);
  });

  it("is restored during the grace period by an owner only, with its data as it was", async () => {
    const { purge_after } = await tenantRow();
    const clients = await instance.services.control.selectFrom("tenants").select("id").where("slug", "=", slug).executeTakeFirstOrThrow();
    expect(clients.id).toBe(owner.tenantId);
    for (const who of [admin.client, member.client]) {
      const res = await who.mutate("termination.restore", { slug });
      expect(res.status).toBe(403);
      expect(res.error?.message).toBe("Only an owner of this organisation can restore it.");
    }
    // 1 ms before the end of the grace period: nothing is purged, and a restore still works.
    instance.clock.advance(purge_after! - 1 - instance.clock.now());
    expect(await purgeClosedOrganisations(instance.services)).toEqual({ purged: [], failed: [], walShredded: true });
    expect(existsSync(file())).toBe(true);
    const restored = await owner.client.mutate("termination.restore", { slug });
    expect(restored.status).toBe(200);
    expect(await tenantRow()).toMatchObject({ status: "active", closed_at: null, purge_after: null });

    const client = await owner.client.query("clients.get", { org: slug, id: owner.target.clientId });
    expect(client.status).toBe(200);
    expect(client.data.name).toBe(`Client of ${slug}`);
    expect((await member.client.query("members.me", { org: slug })).status).toBe(200);
    expect((await token.query("clients.list", { org: slug })).status).toBe(200);
    expect((await owner.client.query("termination.closed")).data).toEqual([]);
    expect((await owner.client.mutate("termination.restore", { slug })).status).toBe(404);
  });

  it("is not restorable once its grace period is over, even before the purge has run", async () => {
    expect((await terminate()).status).toBe(200);
    const { purge_after } = await tenantRow();
    instance.clock.advance(purge_after! - instance.clock.now());
    const res = await owner.client.mutate("termination.restore", { slug });
    expect(res.status).toBe(409);
    expect(res.error?.message).toMatch(
      /^The grace period of doomed ended on \d{4}-\d{2}-\d{2}; its data is being destroyed and cannot be restored\.$/,
    );
    expect((await owner.client.query("termination.closed")).data).toEqual([]);
    expect((await tenantRow()).status).toBe("closed");
  });
});

describe("purging a closed organisation", () => {
  it("destroys the file with its -wal and -shm, the blobs and the data key, and keeps a tombstone", async () => {
    // A crash or another process can leave the WAL and shared-memory files behind.
    writeFileSync(`${file()}-wal`, "stray wal");
    writeFileSync(`${file()}-shm`, "stray shm");
    expect(existsSync(file())).toBe(true);
    expect(readdirSync(blobDir(instance.dataDir, owner.tenantId)).length).toBeGreaterThan(0);
    await instance.services.keys.dataKeyFor(owner.tenantId);

    const result = await purgeClosedOrganisations(instance.services);
    expect(result).toEqual({ purged: [owner.tenantId], failed: [], walShredded: true });
    for (const suffix of ["", "-wal", "-shm", "-journal"]) expect(existsSync(file() + suffix)).toBe(false);
    expect(readdirSync(`${instance.dataDir}/tenants`).filter((n) => n.startsWith(owner.tenantId))).toEqual([]);
    expect(existsSync(blobDir(instance.dataDir, owner.tenantId))).toBe(false);
    const row = await tenantRow();
    expect(row).toMatchObject({ status: "purged", name: "(purged)", features: "{}", wrapped_key: null, purged_at: instance.clock.now() });
    // Asked for the key of a purged organisation, the keyring must refuse rather than mint a new one.
    await expect(instance.services.keys.dataKeyFor(owner.tenantId)).rejects.toThrow();
    expect((await tenantRow()).wrapped_key).toBeNull();
    const { control } = instance.services;
    for (const table of ["memberships", "invitations", "api_tokens", "support_grants", "org_exports"] as const) {
      expect(await control.selectFrom(table).select("tenant_id").where("tenant_id", "=", owner.tenantId).execute()).toEqual([]);
    }
    expect(await control.selectFrom("security_log").select("event").where("event", "=", "org.purged").execute()).toHaveLength(1);
  });

  it("stays purged: no restore, no door, the address is not handed out again, a second run does nothing", async () => {
    const restore = await owner.client.mutate("termination.restore", { slug });
    expect(restore.status).toBe(404);
    expect((await owner.client.query("clients.list", { org: slug })).status).toBe(404);
    // The purge deleted the token itself: it is now just an unknown token.
    expect((await token.query("clients.list", { org: slug })).status).toBe(401);
    expect((await owner.client.mutate("orgs.create", { name: "Doomed again", slug })).status).toBe(409);
    expect(await purgeClosedOrganisations(instance.services)).toEqual({ purged: [], failed: [], walShredded: true });
  });

  it("never reopens an organisation the purge has claimed, and finishes a claim a crash left behind", async () => {
    const other = await orgWithData(instance, "claimed");
    expect((await other.client.mutate("termination.terminate", { org: "claimed", confirmSlug: "claimed" })).status).toBe(200);
    instance.clock.advance(GRACE);
    // A purge run that crashed right after claiming it, before deleting anything.
    await instance.services.control.updateTable("tenants").set({ status: "purging" }).where("id", "=", other.tenantId).execute();
    const restore = await other.client.mutate("termination.restore", { slug: "claimed" });
    expect(restore.status).not.toBe(200);
    expect(
      (await instance.services.control.selectFrom("tenants").select("status").where("id", "=", other.tenantId).executeTakeFirstOrThrow())
        .status,
    ).toBe("purging");
    expect((await other.client.query("clients.list", { org: "claimed" })).status).toBe(404);
    expect(await purgeClosedOrganisations(instance.services)).toEqual({ purged: [other.tenantId], failed: [], walShredded: true });
    expect(existsSync(tenantFilePath(instance.dataDir, other.tenantId))).toBe(false);
    expect(
      await instance.services.control
        .selectFrom("tenants")
        .select(["status", "wrapped_key"])
        .where("id", "=", other.tenantId)
        .executeTakeFirstOrThrow(),
    ).toEqual({ status: "purged", wrapped_key: null });
  });

  it("leaves alone an organisation restored before the purge could claim it", async () => {
    const other = await orgWithData(instance, "saved");
    expect((await other.client.mutate("termination.terminate", { org: "saved", confirmSlug: "saved" })).status).toBe(200);
    // Restored a moment before the deadline; the purge then runs after it.
    instance.clock.advance(GRACE - 1000);
    expect((await other.client.mutate("termination.restore", { slug: "saved" })).status).toBe(200);
    instance.clock.advance(2000);
    expect(await purgeClosedOrganisations(instance.services)).toEqual({ purged: [], failed: [], walShredded: true });
    expect(existsSync(tenantFilePath(instance.dataDir, other.tenantId))).toBe(true);
    expect((await other.client.query("clients.list", { org: "saved" })).status).toBe(200);
  });

  it("finishes an organisation whose earlier purge stopped after deleting the file", async () => {
    const other = await orgWithData(instance, "half-gone");
    expect((await other.client.mutate("termination.terminate", { org: "half-gone", confirmSlug: "half-gone" })).status).toBe(200);
    instance.clock.advance(GRACE);
    await instance.services.pool.close(other.tenantId);
    rmSync(tenantFilePath(instance.dataDir, other.tenantId));
    expect(await purgeClosedOrganisations(instance.services)).toEqual({ purged: [other.tenantId], failed: [], walShredded: true });
    const row = await instance.services.control
      .selectFrom("tenants")
      .select(["status", "wrapped_key"])
      .where("id", "=", other.tenantId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: "purged", wrapped_key: null });
    expect(existsSync(blobDir(instance.dataDir, other.tenantId))).toBe(false);
  });
});
