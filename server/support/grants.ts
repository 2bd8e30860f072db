import type { ControlDb } from "../../db/control/open";
import type { SupportGrantRow } from "../../db/control/schema";
import { logSecurityEvent } from "../audit/security-log";
import type { RequestInfo } from "../auth/session";
import { newId, newToken, sha256Hex } from "../auth/tokens";
import type { Services } from "../services";

export const GRANT_HOURS = { min: 1, max: 168, default: 24 } as const;

export type GrantState = "waiting" | "active" | "expired" | "revoked";

export function grantState(g: Pick<SupportGrantRow, "revoked_at" | "expires_at" | "redeemed_at">, now: number): GrantState {
  if (g.revoked_at !== null) return "revoked";
  if (g.expires_at <= now) return "expired";
  return g.redeemed_at === null ? "waiting" : "active";
}

/** A grant is a hashed, single-use link token bound to one organisation, one scope and one expiry. */
export async function createGrant(
  services: Services,
  tenantId: string,
  creatorId: string,
  input: { scope: "read" | "write"; hours: number; reason: string },
  info: RequestInfo,
) {
  const now = services.clock.now();
  const token = newToken();
  const grant: SupportGrantRow = {
    id: newId("g"),
    tenant_id: tenantId,
    token_hash: sha256Hex(token),
    scope: input.scope,
    reason: input.reason,
    created_by: creatorId,
    created_at: now,
    expires_at: now + input.hours * 3_600_000,
    revoked_at: null,
    revoked_by: null,
    redeemed_by: null,
    redeemed_at: null,
    expiry_logged: 0,
  };
  await services.control.insertInto("support_grants").values(grant).execute();
  await logSecurityEvent(services.control, now, "support.grant_created", { userId: creatorId }, info, {
    grant: grant.id,
    tenant: tenantId,
    scope: input.scope,
    hours: input.hours,
  });
  return { grant, token };
}

export function listGrants(control: ControlDb, tenantId: string) {
  return control
    .selectFrom("support_grants as g")
    .leftJoin("users as creator", "creator.id", "g.created_by")
    .leftJoin("users as staff", "staff.id", "g.redeemed_by")
    .select([
      "g.id",
      "g.scope",
      "g.reason",
      "g.created_at",
      "g.expires_at",
      "g.revoked_at",
      "g.redeemed_at",
      "creator.name as created_by_name",
      "staff.name as redeemed_by_name",
      "staff.email as redeemed_by_email",
    ])
    .where("g.tenant_id", "=", tenantId)
    .orderBy("g.created_at", "desc")
    .limit(200)
    .execute();
}

/** Revocation deletes the grant's support sessions, so it bites on the support user's very next request. */
export async function revokeGrant(services: Services, tenantId: string, grantId: string, by: string, info: RequestInfo) {
  const now = services.clock.now();
  const updated = await services.control.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable("support_grants")
      .set({ revoked_at: now, revoked_by: by })
      .where("id", "=", grantId)
      .where("tenant_id", "=", tenantId)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    await trx.deleteFrom("support_sessions").where("grant_id", "=", grantId).execute();
    return Number(r.numUpdatedRows);
  });
  if (updated)
    await logSecurityEvent(services.control, now, "support.grant_revoked", { userId: by }, info, { grant: grantId, tenant: tenantId });
  return updated > 0;
}

export type RedeemRefusal = "not_staff" | "unknown" | "revoked" | "expired" | "used";

const REFUSAL_TEXT: Record<RedeemRefusal, string> = {
  not_staff: "Only platform staff can use a support link.",
  unknown: "This support link is not valid.",
  revoked: "This support link was revoked by the organisation.",
  expired: "This support link has expired.",
  used: "This support link has already been used.",
};

export function refusalText(r: RedeemRefusal) {
  return REFUSAL_TEXT[r];
}

/** Reads a link token without spending it: what the staff member is about to confirm. */
export async function inspectToken(services: Services, token: string) {
  const row = await services.control
    .selectFrom("support_grants as g")
    .innerJoin("tenants as t", "t.id", "g.tenant_id")
    .leftJoin("users as creator", "creator.id", "g.created_by")
    .select([
      "g.id",
      "g.scope",
      "g.reason",
      "g.expires_at",
      "g.revoked_at",
      "g.redeemed_by",
      "g.redeemed_at",
      "t.slug",
      "t.name",
      "t.status",
      "creator.name as created_by_name",
    ])
    .where("g.token_hash", "=", sha256Hex(token))
    .executeTakeFirst();
  if (!row || row.status !== "active") return { refusal: "unknown" as const };
  if (row.revoked_at !== null) return { refusal: "revoked" as const };
  if (row.expires_at <= services.clock.now()) return { refusal: "expired" as const };
  if (row.redeemed_by !== null) return { refusal: "used" as const };
  return { grant: row };
}

/**
 * Spends the token: exactly one redemption per grant, by whoever wins the conditional update.
 * The support session it opens ends with the grant.
 */
export async function redeemToken(services: Services, token: string, staffId: string) {
  const now = services.clock.now();
  const inspected = await inspectToken(services, token);
  if (!inspected.grant) return inspected;
  const grant = inspected.grant;
  const sessionToken = newToken();
  const won = await services.control.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable("support_grants")
      .set({ redeemed_by: staffId, redeemed_at: now })
      .where("id", "=", grant.id)
      .where("redeemed_by", "is", null)
      .where("revoked_at", "is", null)
      .where("expires_at", ">", now)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return false;
    await trx
      .insertInto("support_sessions")
      .values({ id: sha256Hex(sessionToken), grant_id: grant.id, staff_user_id: staffId, created_at: now, expires_at: grant.expires_at })
      .execute();
    return true;
  });
  if (!won) return { refusal: "used" as const };
  return { grant, sessionToken };
}

export interface LiveSupport {
  grantId: string;
  tenantId: string;
  slug: string;
  name: string;
  scope: "read" | "write";
  expiresAt: number;
}

/** The support session named by the cookie, if it is the viewer's and its grant is still live. */
export async function liveSupportSession(
  services: Services,
  cookieValue: string | undefined,
  staffId: string,
): Promise<LiveSupport | null> {
  if (!cookieValue) return null;
  const row = await services.control
    .selectFrom("support_sessions as s")
    .innerJoin("support_grants as g", "g.id", "s.grant_id")
    .innerJoin("tenants as t", "t.id", "g.tenant_id")
    .select([
      "g.id as grantId",
      "g.tenant_id as tenantId",
      "t.slug",
      "t.name",
      "t.status",
      "g.scope",
      "g.expires_at",
      "g.revoked_at",
      "s.staff_user_id",
    ])
    .where("s.id", "=", sha256Hex(cookieValue))
    .executeTakeFirst();
  if (!row || row.staff_user_id !== staffId || row.revoked_at !== null || row.status !== "active") return null;
  if (row.expires_at <= services.clock.now()) return null;
  return { grantId: row.grantId, tenantId: row.tenantId, slug: row.slug, name: row.name, scope: row.scope, expiresAt: row.expires_at };
}

export async function endSupportSession(services: Services, cookieValue: string, staffId: string, info: RequestInfo) {
  const r = await services.control
    .deleteFrom("support_sessions")
    .where("id", "=", sha256Hex(cookieValue))
    .where("staff_user_id", "=", staffId)
    .executeTakeFirst();
  if (Number(r.numDeletedRows))
    await logSecurityEvent(services.control, services.clock.now(), "support.session_ended", { userId: staffId }, info);
}

/** Logs each grant's expiry once and drops support sessions past their end; run by the purge job. */
export async function sweepExpiredGrants(services: Services) {
  const now = services.clock.now();
  const expired = await services.control
    .selectFrom("support_grants")
    .select(["id", "tenant_id", "redeemed_by"])
    .where("expires_at", "<=", now)
    .where("revoked_at", "is", null)
    .where("expiry_logged", "=", 0)
    .execute();
  for (const g of expired) {
    await logSecurityEvent(
      services.control,
      now,
      "support.grant_expired",
      { userId: g.redeemed_by },
      { ip: "system", userAgent: null },
      { grant: g.id, tenant: g.tenant_id },
    );
    await services.control.updateTable("support_grants").set({ expiry_logged: 1 }).where("id", "=", g.id).execute();
  }
  await services.control.deleteFrom("support_sessions").where("expires_at", "<=", now).execute();
  return expired.length;
}
