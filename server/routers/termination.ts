import { z } from "zod";
import type { Services } from "../services";
import { permissionsOf } from "../permissions/roles";
import { closeOrganisation, restoreOrganisation } from "../tenants/terminate";
import { badRequest, forbidden, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { authedProcedure, tenantProcedure } from "../trpc/procedures";
import { slugSchema } from "../trpc/tenant-context";
import { orgInput } from "./inputs";

/**
 * Whether this person may bring a closed organisation back: the permission that closes it
 * (org.delete, owners by default), read from the organisation's own file like every role check.
 */
async function mayRestore(services: Services, tenantId: string, userId: string) {
  const lease = await services.pool.acquire(tenantId);
  try {
    const member = await lease.db
      .selectFrom("members")
      .leftJoin("roles", "roles.id", "members.role")
      .select(["members.role", "roles.permissions"])
      .where("members.user_id", "=", userId)
      .executeTakeFirst();
    return member ? permissionsOf(member.role, member.permissions).has("org.delete") : false;
  } finally {
    lease.release();
  }
}

/** Closed organisations the caller is (still) a member of; purged ones have no memberships left. */
function closedMemberships(services: Services, userId: string) {
  return services.control
    .selectFrom("memberships")
    .innerJoin("tenants", "tenants.id", "memberships.tenant_id")
    .select(["tenants.id", "tenants.slug", "tenants.name", "tenants.closed_at", "tenants.closed_by", "tenants.purge_after"])
    .where("memberships.user_id", "=", userId)
    .where("tenants.status", "=", "closed");
}

export const terminationRouter = router({
  /** What closing would mean, for the confirmation page: the address to type and the destruction date. */
  preview: tenantProcedure
    .meta({ permission: "org.delete" })
    .input(orgInput)
    .query(({ ctx }) => {
      const graceMs = ctx.services.config.orgGraceMs;
      return {
        slug: ctx.tenant.slug,
        name: ctx.tenant.name,
        graceDays: Math.round(graceMs / 86_400_000),
        purgeAfterIfClosedNow: ctx.services.clock.now() + graceMs,
      };
    }),

  /**
   * Closes the organisation now; its data is destroyed after the grace period unless an owner
   * restores it. The organisation's address must be typed out, so a stray click closes nothing.
   */
  terminate: tenantProcedure
    .meta({ permission: "org.delete" })
    .input(orgInput.extend({ confirmSlug: z.string().max(100, "Too long.") }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.actor.kind !== "user") throw forbidden("Only a signed-in owner can close an organisation, not an API token.");
      if (input.confirmSlug.trim() !== ctx.tenant.slug)
        throw badRequest(`Type the organisation's address (${ctx.tenant.slug}) to confirm.`);
      const closed = await closeOrganisation(ctx.services, ctx.tenant.id, { userId: ctx.actor.id }, ctx.info);
      return { slug: closed.slug, closedAt: closed.closedAt, purgeAfter: closed.purgeAfter };
    }),

  /** For the organisations page: what the caller could still restore, and until when. */
  closed: authedProcedure.meta({ access: "authed" }).query(async ({ ctx }) => {
    const rows = await closedMemberships(ctx.services, ctx.viewer.user.id)
      .where("tenants.purge_after", ">", ctx.services.clock.now())
      .orderBy("tenants.purge_after")
      .execute();
    const out = [];
    for (const r of rows) {
      if (!(await mayRestore(ctx.services, r.id, ctx.viewer.user.id))) continue;
      out.push({
        slug: r.slug,
        name: r.name,
        closedAt: r.closed_at!,
        purgeAfter: r.purge_after!,
        closedByYou: r.closed_by === ctx.viewer.user.id,
      });
    }
    return out;
  }),

  restore: authedProcedure
    .meta({ access: "authed" })
    .input(z.object({ slug: slugSchema }))
    .mutation(async ({ ctx, input }) => {
      const tenant = await closedMemberships(ctx.services, ctx.viewer.user.id).where("tenants.slug", "=", input.slug).executeTakeFirst();
      if (!tenant) throw notFound("Closed organisation");
      if (!(await mayRestore(ctx.services, tenant.id, ctx.viewer.user.id)))
        throw forbidden("Only an owner of this organisation can restore it.");
      // Past its grace period, restoreOrganisation refuses with the date it ended.
      const restored = await restoreOrganisation(ctx.services, tenant.id, { userId: ctx.viewer.user.id }, ctx.info);
      return { slug: restored.slug, name: restored.name };
    }),
});
