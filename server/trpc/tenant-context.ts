import type { Kysely } from "kysely";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { ControlDb } from "../../db/control/open";
import { TenantOutOfServiceError } from "../../db/pool";
import { compileOnce } from "../../db/sqlite";
import { runInTenant } from "../../db/tenant/context";
import type { TenantDB } from "../../db/tenant/schema";
import { FULL_ACCESS } from "../../db/tenant/visibility";
import type { Session, User } from "lucia";
import { accessOf } from "../access/project-access";
import { effectivePermissions, touchApiToken } from "../auth/api-tokens";
import { permissionsOf } from "../permissions/roles";
import { auditSupportRequest, SUPPORT_PERMISSIONS, supportAccessTo } from "../support/support-access";
import { forbidden, notFound, unauthorized } from "./errors";
import type { Context } from "./context";
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

/** Who acts inside a tenant procedure: a session's user, or an API token's owner (session null). */
export interface TenantViewer {
  user: User;
  session: Session | null;
}

// Both lookups run on every request, compiled once but always read from the database, so a removed
// membership or a changed role applies to the very next request.

/** The viewer's membership of an active organisation, by slug (control database). */
const membershipLookup = compileOnce((db: ControlDb, v: { userId: string; slug: string }) =>
  db
    .selectFrom("memberships")
    .innerJoin("tenants", "tenants.id", "memberships.tenant_id")
    .select(["tenants.id", "tenants.slug", "tenants.name"])
    .where("memberships.user_id", "=", v.userId)
    .where("tenants.slug", "=", v.slug)
    .where("tenants.status", "=", "active"),
);

/** The viewer's role (and a custom role's permissions), from the tenant file itself. */
const memberRoleLookup = compileOnce((db: Kysely<TenantDB>, v: { userId: string }) =>
  db
    .selectFrom("members")
    .leftJoin("roles", "roles.id", "members.role")
    .select(["members.role", "members.client_id", "roles.permissions"])
    .where("members.user_id", "=", v.userId),
);

/** Seconds a client is told to wait (Retry-After) while an organisation is out of service: a restore's copy takes seconds. */
export const OUT_OF_SERVICE_RETRY_AFTER_S = 10;

/**
 * Opens the organisation's handle, or answers 503 while an operator's command has it out of service
 * (db/pool.ts): asked only once the caller is known to have access, so an outsider cannot tell that
 * an organisation is being restored.
 */
async function acquireInService(ctx: Context, tenantId: string) {
  try {
    return await ctx.services.pool.acquire(tenantId);
  } catch (error) {
    if (!(error instanceof TenantOutOfServiceError)) throw error;
    ctx.setHeader?.("Retry-After", String(OUT_OF_SERVICE_RETRY_AFTER_S));
    throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "This organisation is being restored. Try again in a few seconds." });
  }
}

/**
 * The only door to a tenant file, with three keys: a verified member's membership, a staff member's
 * live support session for this very organisation, or a member's live API token for the token's own
 * organisation. Anyone else is refused before a file is opened, and "not found" also answers "not
 * yours", so other organisations' slugs cannot be probed.
 *
 * Downstream, `ctx.viewer` always names the person acting (a token's owner for API calls; its
 * `session` is then null) and `ctx.actor.kind` says how they came in.
 */
export const tenantContext = middleware(async ({ ctx, getRawInput, next, path, type }) => {
  const api = ctx.api;
  const viewer: TenantViewer | null = api ? { user: api.user, session: null } : ctx.viewer;
  if (!viewer) throw unauthorized();
  if (!viewer.user.emailVerified) throw forbidden("Confirm your email address before opening an organisation.");
  const parsed = orgOnly.safeParse(await getRawInput());
  if (!parsed.success) throw new TRPCError({ code: "BAD_REQUEST", cause: parsed.error });
  const base = { ip: ctx.info.ip, userAgent: ctx.info.userAgent, id: viewer.user.id };

  const tenant = await membershipLookup.executeTakeFirst(ctx.services.control, { userId: viewer.user.id, slug: parsed.data.org });
  // A token opens its own organisation and no other, even one its owner belongs to.
  if (api && tenant?.id !== api.tenantId) throw notFound("Organisation");
  if (tenant) {
    const lease = await acquireInService(ctx, tenant.id);
    try {
      const member = await memberRoleLookup.executeTakeFirst(lease.db, { userId: viewer.user.id });
      if (!member) throw notFound("Organisation");
      const rolePermissions = permissionsOf(member.role, member.permissions);
      // A token holds its scopes only while the member's current role does too.
      const permissions = api ? effectivePermissions(api.scopes, rolePermissions) : rolePermissions;
      const actor: Actor = { kind: api ? "api" : "user", ...base };
      const access = accessOf(viewer.user.id, member.role, member.client_id, permissions);
      if (api) await touchApiToken(ctx.services, api);
      return await runInTenant({ tenantId: tenant.id, db: lease.db, access }, () =>
        next({ ctx: { viewer, tenant, actor, role: member.role, permissions, access } }),
      );
    } finally {
      lease.release();
    }
  }

  const support = await supportAccessTo(ctx, parsed.data.org);
  if (!support) throw notFound("Organisation");
  const lease = await acquireInService(ctx, support.tenantId);
  try {
    // Recorded before the scope check, so refused attempts are on the organisation's record too.
    await auditSupportRequest(lease.db, ctx, support, path, type);
    if (support.scope === "read" && type !== "query") throw forbidden("Support access to this organisation is read-only.");
    const actor: Actor = { kind: "support", ...base };
    const supportTenant = { id: support.tenantId, slug: support.slug, name: support.name };
    return await runInTenant({ tenantId: support.tenantId, db: lease.db, access: FULL_ACCESS }, () =>
      next({
        ctx: {
          viewer,
          tenant: supportTenant,
          actor,
          role: "support",
          permissions: SUPPORT_PERMISSIONS,
          access: FULL_ACCESS,
        },
      }),
    );
  } finally {
    lease.release();
  }
});
