import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../routers/_app";
import { tenantProcedurePaths } from "../trpc/access-check";
import { Client } from "./support/client";
import { type userWithOrg, verifiedUser } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import { tenantCalls, type Target } from "./support/procedure-inputs";
import { tenantDigest } from "./support/tenant-files";
import { orgWithData } from "./support/world";

let instance: Instance;
let a: Awaited<ReturnType<typeof userWithOrg>> & { target: Target };
let b: Awaited<ReturnType<typeof userWithOrg>> & { target: Target };

function call(client: Client, path: string, input: Record<string, unknown>) {
  return tenantCalls[path]!.kind === "query" ? client.query(path, input) : client.mutate(path, input);
}

const paths = tenantProcedurePaths(appRouter);

beforeAll(async () => {
  instance = await startInstance();
  a = await orgWithData(instance, "alpha");
  b = await orgWithData(instance, "bravo");
});
afterAll(() => instance.stop());

describe("the isolation suite covers every tenant procedure", () => {
  it("has an input for each procedure behind the tenant door", () => {
    expect(paths.length).toBeGreaterThan(0);
    expect(Object.keys(tenantCalls).sort()).toEqual([...paths].sort());
  });
});

describe.each(paths)("%s", (path) => {
  it("refuses a member of A who names B's organisation, and leaves B's file unchanged", async () => {
    const before = tenantDigest(instance.dataDir, b.tenantId);
    const res = await call(a.client, path, tenantCalls[path]!.input(b.target));
    expect(res.status).toBe(404);
    expect(res.error?.code).toBe("NOT_FOUND");
    expect(tenantDigest(instance.dataDir, b.tenantId)).toBe(before);
  });

  it("never reaches B's rows through A's organisation with B's ids", async () => {
    const before = tenantDigest(instance.dataDir, b.tenantId);
    const res = await call(a.client, path, tenantCalls[path]!.input({ ...b.target, slug: a.slug }));
    const body = JSON.stringify(res.data ?? res.error);
    for (const value of Object.values(b.target)) expect(body).not.toContain(value);
    expect(body).not.toContain("bravo");
    const expected = tenantCalls[path]!.foreignIds ?? "refused";
    if (expected === "answered") expect(res.status).toBe(200);
    else if (expected === "refused") expect([400, 404]).toContain(res.status);
    if (path.startsWith("audit.")) {
      // A's own log, filtered by B's client id: answered, and empty.
      const entries = path === "audit.list" ? res.data.items : JSON.parse(res.data.content).entries;
      expect(entries).toEqual([]);
    }
    expect(tenantDigest(instance.dataDir, b.tenantId)).toBe(before);
  });

  it("refuses an anonymous caller before any tenant file is opened", async () => {
    await instance.services.pool.closeAll();
    const opens = instance.services.pool.opens;
    const res = await call(new Client(instance.url), path, tenantCalls[path]!.input(b.target));
    expect(res.status).toBe(401);
    expect(instance.services.pool.opens).toBe(opens);
    expect(instance.services.pool.isOpen(b.tenantId)).toBe(false);
  });

  it("refuses a verified user with no membership without opening the file", async () => {
    const stranger = await verifiedUser(instance, "Stranger");
    await instance.services.pool.closeAll();
    const opens = instance.services.pool.opens;
    const res = await call(stranger.client, path, tenantCalls[path]!.input(b.target));
    expect(res.status).toBe(404);
    expect(instance.services.pool.opens).toBe(opens);
    expect(instance.services.pool.isOpen(b.tenantId)).toBe(false);
  });
});

describe("organisation slugs", () => {
  it("answers the same for a missing organisation as for someone else's", async () => {
    const missing = await a.client.query("clients.list", { org: "no-such-org" });
    const foreign = await a.client.query("clients.list", { org: b.slug });
    expect(missing.status).toBe(404);
    expect(foreign.status).toBe(404);
    expect(missing.error?.message).toBe(foreign.error?.message);
  });

  it("refuses a slug that is already taken, without touching the existing organisation", async () => {
    const before = tenantDigest(instance.dataDir, b.tenantId);
    const res = await a.client.mutate("orgs.create", { name: "Bravo again", slug: b.slug });
    expect(res.status).toBe(409);
    expect(tenantDigest(instance.dataDir, b.tenantId)).toBe(before);
  });
});
