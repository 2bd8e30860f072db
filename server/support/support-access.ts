import type { Kysely } from "kysely";
import type { TenantDB } from "../../db/tenant/schema";
import { ALL_PERMISSIONS, type Permission } from "../permissions/catalogue";
import type { Context } from "../trpc/context";
import { supportCookie, supportCookieNames } from "./cookies";
import { endSupportSession, liveSupportSession, type LiveSupport } from "./grants";

// Support helps with the agency's data; it never manages the agency: no members, roles, grants,
// exports, secrets or deletion, whatever the scope.
const NEVER_FOR_SUPPORT = new Set<Permission>([
  "member.invite",
  "member.remove",
  "member.role.assign",
  "role.manage",
  "support.grant",
  "org.settings",
  "org.export",
  // Searching for a person across the records and redacting them is the organisation's own decision.
  "privacy.subject_requests",
  "org.delete",
  "org.billing",
  "audit.export",
  "integration.manage",
  "webhook.manage",
]);

/** Both scopes see the same things; `read` additionally refuses every mutation (see tenantContext). */
export const SUPPORT_PERMISSIONS: ReadonlySet<Permission> = new Set(ALL_PERMISSIONS.filter((p) => !NEVER_FOR_SUPPORT.has(p)));

/**
 * The second way through the tenant door, for staff only: a live support session whose grant names
 * this organisation. Returns null for everyone and everything else.
 */
export async function supportAccessTo(ctx: Context, slug: string): Promise<LiveSupport | null> {
  const viewer = ctx.viewer;
  if (!viewer?.user.isStaff) return null;
  const live = await liveSupportSession(ctx.services, ctx.cookies[supportCookieNames(ctx.services.config).session], viewer.user.id);
  return live && live.slug === slug ? live : null;
}

/** Every request support makes is on the organisation's record, reads included. */
export async function auditSupportRequest(db: Kysely<TenantDB>, ctx: Context, live: LiveSupport, path: string, type: string) {
  await db
    .insertInto("audit_log")
    .values({
      at: ctx.services.clock.now(),
      actor_kind: "support",
      actor_id: ctx.viewer!.user.id,
      ip: ctx.info.ip,
      user_agent: ctx.info.userAgent?.slice(0, 300) ?? null,
      action: type === "mutation" ? "support.mutation" : "support.query",
      target_type: "procedure",
      target_id: path,
      detail: JSON.stringify({ grant: live.grantId, scope: live.scope, staff: ctx.viewer!.user.email }),
    })
    .execute();
}

/** Ends this browser's support session (if it holds one) and drops its cookie: "Leave", and logout. */
export async function leaveSupport(ctx: Context) {
  const { config } = ctx.services;
  const name = supportCookieNames(config).session;
  const value = ctx.cookies[name];
  if (!value) return;
  if (ctx.viewer?.user.isStaff) await endSupportSession(ctx.services, value, ctx.viewer.user.id, ctx.info);
  ctx.setCookie(supportCookie(config, name, "", 0));
}
