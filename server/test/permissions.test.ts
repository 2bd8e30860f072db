import { initTRPC } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { appRouter } from "../routers/_app";
import { PERMISSIONS } from "../permissions/catalogue";
import { procedureDefs, proceduresWithoutAccess, tenantProcedurePaths } from "../trpc/access-check";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { Client } from "./support/client";
import { addMember, userWithOrg, verifiedUser } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
let member: Awaited<ReturnType<typeof verifiedUser>>;

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, "perm-org");
  member = await verifiedUser(instance, "Plain Member");
  await addMember(instance, owner.tenantId, member.email, "member");
});
afterAll(() => instance.stop());

describe("declared permissions", () => {
  it("every procedure declares a permission (tenant) or its access (others)", () => {
    expect(proceduresWithoutAccess(appRouter)).toEqual([]);
  });

  it("flags, and refuses at run time, a tenant procedure that declares no permission", async () => {
    const careless = router({ leak: tenantProcedure.input(z.object({ org: z.string() })).query(() => "secret") });
    expect(proceduresWithoutAccess(careless)).toEqual(["leak"]);
    expect(tenantProcedurePaths(careless)).toEqual(["leak"]);
    const ctx = {
      services: instance.services,
      info: { ip: "127.0.0.1", userAgent: null },
      origin: instance.url,
      viewer: null,
      cookies: {},
      setCookie: () => {},
    };
    await expect(careless.createCaller(ctx).leak({ org: "perm-org" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("flags a non-tenant procedure that says nothing about access", () => {
    const t = initTRPC.create();
    expect(proceduresWithoutAccess(t.router({ open: t.procedure.query(() => 1) }))).toEqual(["open"]);
  });

  it("uses only names from the catalogue, which has at least 60 permissions", () => {
    expect(Object.keys(PERMISSIONS).length).toBeGreaterThanOrEqual(60);
    for (const path of tenantProcedurePaths(appRouter)) {
      const meta = procedureDefs(appRouter)[path]!.meta;
      expect(Object.keys(PERMISSIONS)).toContain(meta?.permission);
    }
  });
});

describe("a member", () => {
  it("loses access on the next request when the role changes", async () => {
    expect((await member.client.query("clients.list", { org: "perm-org" })).status).toBe(200);
    const lease = await instance.services.pool.acquire(owner.tenantId);
    const user = await instance.services.control
      .selectFrom("users")
      .select("id")
      .where("email", "=", member.email)
      .executeTakeFirstOrThrow();
    try {
      await lease.db.updateTable("members").set({ role: "nonexistent-role" }).where("user_id", "=", user.id).execute();
      expect((await member.client.query("clients.list", { org: "perm-org" })).status).toBe(403);
    } finally {
      await lease.db.updateTable("members").set({ role: "member" }).where("user_id", "=", user.id).execute();
      lease.release();
    }
  });

  it("loses access at once when the membership is removed", async () => {
    const user = await instance.services.control
      .selectFrom("users")
      .select("id")
      .where("email", "=", member.email)
      .executeTakeFirstOrThrow();
    await instance.services.control.deleteFrom("memberships").where("user_id", "=", user.id).execute();
    try {
      expect((await member.client.query("clients.list", { org: "perm-org" })).status).toBe(404);
    } finally {
      await instance.services.control
        .insertInto("memberships")
        .values({ user_id: user.id, tenant_id: owner.tenantId, created_at: Date.now() })
        .execute();
    }
  });

  it("is refused once their email is no longer verified", async () => {
    await instance.services.control.updateTable("users").set({ email_verified_at: null }).where("email", "=", member.email).execute();
    try {
      const res = await member.client.query("clients.list", { org: "perm-org" });
      expect(res.status).toBe(403);
    } finally {
      await instance.services.control
        .updateTable("users")
        .set({ email_verified_at: Date.now() })
        .where("email", "=", member.email)
        .execute();
    }
  });
});

describe("anonymous", () => {
  it("cannot list organisations", async () => {
    expect((await new Client(instance.url).query("orgs.mine")).status).toBe(401);
  });
});
