import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { inTenantTransaction, tenantDb } from "../../db/tenant/context";
import { audit } from "../audit/audit";
import { logSecurityEvent } from "../audit/security-log";
import { supportMessage } from "../email/templates";
import { supportCookie, supportCookieNames } from "../support/cookies";
import {
  createGrant,
  grantState,
  GRANT_HOURS,
  inspectToken,
  listGrants,
  liveSupportSession,
  redeemToken,
  refusalText,
  revokeGrant,
  type RedeemRefusal,
} from "../support/grants";
import type { Context } from "../trpc/context";
import { leaveSupport } from "../support/support-access";
import { notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { authedProcedure, publicProcedure, staffProcedure, tenantProcedure } from "../trpc/procedures";
import { tokenSchema } from "./auth-inputs";
import { idSchema, orgInput } from "./inputs";

const PENDING_LINK_SECONDS = 10 * 60;

function pendingToken(ctx: Context) {
  const token = ctx.cookies[supportCookieNames(ctx.services.config).pending];
  return token && tokenSchema.safeParse(token).success ? token : null;
}

function clearPending(ctx: Context) {
  ctx.setCookie(supportCookie(ctx.services.config, supportCookieNames(ctx.services.config).pending, "", 0));
}

/** Every refused link is a security event: someone holds a token that does not work for them. */
async function refuse(ctx: Context, refusal: RedeemRefusal): Promise<never> {
  clearPending(ctx);
  await logSecurityEvent(
    ctx.services.control,
    ctx.services.clock.now(),
    "support.redeem_refused",
    { userId: ctx.viewer?.user.id, email: ctx.viewer?.user.email },
    ctx.info,
    { reason: refusal },
  );
  throw new TRPCError({ code: refusal === "not_staff" ? "FORBIDDEN" : "NOT_FOUND", message: refusalText(refusal) });
}

export const supportRouter = router({
  createGrant: tenantProcedure
    .meta({ permission: "support.grant" })
    .input(
      orgInput.extend({
        scope: z.enum(["read", "write"]),
        hours: z
          .number()
          .int()
          .min(GRANT_HOURS.min, "At least one hour.")
          .max(GRANT_HOURS.max, "At most seven days.")
          .default(GRANT_HOURS.default),
        reason: z.string().trim().min(5, "Say briefly why support needs access.").max(500, "Use at most 500 characters."),
        emailSupport: z.boolean().default(false),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { services } = ctx;
      // Control DB first (the grant), then the tenant's own audit row: a crash in between leaves an
      // unaudited but harmless grant, never an audited grant that does not exist.
      const { grant, token } = await createGrant(services, ctx.tenant.id, ctx.actor.id, input, ctx.info);
      await inTenantTransaction(() =>
        audit(
          ctx.actor,
          "support.grant_created",
          { type: "support_grant", id: grant.id },
          { scope: grant.scope, hours: input.hours, reason: grant.reason },
        ),
      );
      const link = `${ctx.origin}/support/open?token=${token}`;
      const emailTo = input.emailSupport ? services.config.supportEmail : null;
      if (emailTo) await services.mailer.send(supportMessage(emailTo, ctx.tenant.name, grant.scope, grant.expires_at, grant.reason, link));
      return { id: grant.id, link, scope: grant.scope, expiresAt: grant.expires_at, emailedTo: emailTo };
    }),

  listGrants: tenantProcedure
    .meta({ permission: "support.grant" })
    .input(orgInput)
    .query(async ({ ctx }) => {
      const now = ctx.services.clock.now();
      const rows = await listGrants(ctx.services.control, ctx.tenant.id);
      return rows.map((g) => ({ ...g, state: grantState(g, now) }));
    }),

  revokeGrant: tenantProcedure
    .meta({ permission: "support.grant" })
    .input(orgInput.extend({ id: idSchema("g") }))
    .mutation(async ({ ctx, input }) => {
      const revoked = await revokeGrant(ctx.services, ctx.tenant.id, input.id, ctx.actor.id, ctx.info);
      if (!revoked) throw notFound("Active grant");
      await inTenantTransaction(() => audit(ctx.actor, "support.grant_revoked", { type: "support_grant", id: input.id }));
      return { ok: true };
    }),

  /** What every member sees while support is inside: the live grants and what support did. */
  activity: tenantProcedure
    .meta({ permission: "support.view" })
    .input(orgInput)
    .query(async ({ ctx }) => {
      const now = ctx.services.clock.now();
      const grants = (await listGrants(ctx.services.control, ctx.tenant.id)).filter((g) => grantState(g, now) === "active");
      if (grants.length === 0) return { active: [], actions: [] };
      const since = Math.min(...grants.map((g) => g.redeemed_at ?? g.created_at));
      const actions = await tenantDb()
        .selectFrom("audit_log")
        .select(["id", "at", "actor_id", "ip", "action", "target_type", "target_id"])
        .where("actor_kind", "=", "support")
        .where("at", ">=", since)
        .orderBy("id", "desc")
        .limit(50)
        .execute();
      return {
        active: grants.map((g) => ({
          id: g.id,
          scope: g.scope,
          expiresAt: g.expires_at,
          staffName: g.redeemed_by_name,
          staffEmail: g.redeemed_by_email,
        })),
        actions,
      };
    }),

  /**
   * The link's first stop: the token moves into a short-lived HttpOnly cookie and the browser is
   * sent on to a URL without it, so it never stays in history, logs or a Referer.
   */
  stashLink: publicProcedure
    .meta({ access: "public" })
    .input(z.object({ token: tokenSchema }))
    .mutation(({ ctx, input }) => {
      ctx.setCookie(supportCookie(ctx.services.config, supportCookieNames(ctx.services.config).pending, input.token, PENDING_LINK_SECONDS));
      return { ok: true };
    }),

  /** What the staff member is about to accept: organisation, scope, expiry and the owner's reason. */
  pending: authedProcedure.meta({ access: "authed" }).query(async ({ ctx }) => {
    const token = pendingToken(ctx);
    if (!token) throw notFound("Support link");
    if (!ctx.viewer.user.isStaff) return refuse(ctx, "not_staff");
    const inspected = await inspectToken(ctx.services, token);
    if (!inspected.grant) return refuse(ctx, inspected.refusal);
    const g = inspected.grant;
    return { org: { slug: g.slug, name: g.name }, scope: g.scope, expiresAt: g.expires_at, reason: g.reason, grantedBy: g.created_by_name };
  }),

  redeem: authedProcedure
    .meta({ access: "authed" })
    .input(z.object({ acknowledgeReason: z.literal(true, "Confirm that you have read the reason.") }))
    .mutation(async ({ ctx }) => {
      const token = pendingToken(ctx);
      if (!token) throw notFound("Support link");
      const staff = ctx.viewer.user;
      if (!staff.isStaff) return refuse(ctx, "not_staff");
      const result = await redeemToken(ctx.services, token, staff.id);
      if (!result.grant) return refuse(ctx, result.refusal);
      const { grant, sessionToken } = result;
      const { config, clock, control, pool } = ctx.services;
      const names = supportCookieNames(config);
      clearPending(ctx);
      ctx.setCookie(supportCookie(config, names.session, sessionToken, (grant.expires_at - clock.now()) / 1000));
      await logSecurityEvent(control, clock.now(), "support.grant_redeemed", { userId: staff.id, email: staff.email }, ctx.info, {
        grant: grant.id,
        org: grant.slug,
      });
      const tenant = await control.selectFrom("tenants").select("id").where("slug", "=", grant.slug).executeTakeFirstOrThrow();
      const lease = await pool.acquire(tenant.id);
      try {
        await lease.db
          .insertInto("audit_log")
          .values({
            at: clock.now(),
            actor_kind: "support",
            actor_id: staff.id,
            ip: ctx.info.ip,
            user_agent: ctx.info.userAgent?.slice(0, 300) ?? null,
            action: "support.session_started",
            target_type: "support_grant",
            target_id: grant.id,
            detail: JSON.stringify({ scope: grant.scope, staff: staff.email }),
          })
          .execute();
      } finally {
        lease.release();
      }
      return { slug: grant.slug };
    }),

  /** For the staff banner: the support session this browser holds, if it is still live. */
  current: staffProcedure.meta({ access: "staff" }).query(async ({ ctx }) => {
    const s = await liveSupportSession(ctx.services, ctx.cookies[supportCookieNames(ctx.services.config).session], ctx.viewer.user.id);
    return s ? { slug: s.slug, name: s.name, scope: s.scope, expiresAt: s.expiresAt } : null;
  }),

  leave: staffProcedure.meta({ access: "staff" }).mutation(async ({ ctx }) => {
    await leaveSupport(ctx);
    return { ok: true };
  }),
});
