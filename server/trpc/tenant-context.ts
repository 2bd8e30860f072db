import { z } from "zod";
import { runInTenant } from "../../db/tenant/context";
import { permissionsOf } from "../permissions/roles";
import type { Permission } from "../permissions/catalogue";
import { forbidden, notFound, unauthorized } from "./errors";
import { middleware } from "./init";

export const slugSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(3, "Use at least 3 characters.")
  .max(40, "Use at most 40 characters.")
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "Use lowercase letters, digits and single hyphens.");

const orgOnly = z.object({ org: slugSchema });

export interface Actor {
  kind: "user" | "support" | "api" | "system";
  id: string;
  ip: string;
  userAgent: string | null;
}

/**
 * The only door to a tenant file. It refuses before opening anything unless the viewer is a
 * verified member of the organisation named in the input; "not found" also answers "not yours",
 * so slugs of other organisations cannot be probed.
 */
export const tenantContext = middleware(async ({ ctx, getRawInput, next }) => {
  const viewer = ctx.viewer;
  if (!viewer) throw unauthorized();
  if (!viewer.user.emailVerified) throw forbidden("Confirm your email address before opening an organisation.");
  const parsed = orgOnly.safeParse(await getRawInput());
  if (!parsed.success) throw notFound("Organisation");
  const tenant = await ctx.services.control
    .selectFrom("memberships")
    .innerJoin("tenants", "tenants.id", "memberships.tenant_id")
    .select(["tenants.id", "tenants.slug", "tenants.name"])
    .where("memberships.user_id", "=", viewer.user.id)
    .where("tenants.slug", "=", parsed.data.org)
    .where("tenants.status", "=", "active")
    .executeTakeFirst();
  if (!tenant) throw notFound("Organisation");
  const lease = await ctx.services.pool.acquire(tenant.id);
  try {
    const member = await lease.db
      .selectFrom("members")
      .select(["role"])
      .where("user_id", "=", viewer.user.id)
      .executeTakeFirst();
    if (!member) throw notFound("Organisation");
    const actor: Actor = { kind: "user", id: viewer.user.id, ip: ctx.info.ip, userAgent: ctx.info.userAgent };
    return await runInTenant({ tenantId: tenant.id, db: lease.db }, () =>
      next({
        ctx: { tenant, actor, role: member.role, permissions: permissionsOf(member.role) as ReadonlySet<Permission> },
      }),
    );
  } finally {
    lease.release();
  }
});
