import type { ControlDb } from "../../db/control/open";
import type { RequestInfo } from "../auth/session";

export type SecurityEvent =
  | "login.success"
  | "login.failure"
  | "login.throttled"
  | "logout"
  | "signup"
  | "email.verified"
  | "password.changed"
  | "password.reset_requested"
  | "password.reset"
  | "session.revoked"
  | "setup.operator_created"
  | "support.grant_created"
  | "support.grant_redeemed"
  | "support.grant_revoked"
  | "support.grant_expired"
  | "support.redeem_refused"
  | "support.session_ended"
  | "invitation.accepted"
  | "invitation.refused"
  | "account.exported"
  | "account.deleted"
  | "org.closed"
  | "org.restored"
  | "org.purged"
  | "org.created_by_operator"
  | "org.imported"
  | "password.reset_by_operator"
  | "staff.created_by_operator";

/** Platform security log (control DB): who, from where, what. Never the password or a token. */
export async function logSecurityEvent(
  db: ControlDb,
  at: number,
  event: SecurityEvent,
  who: { userId?: string | null; email?: string | null },
  info: RequestInfo,
  detail: Record<string, unknown> = {},
) {
  await db
    .insertInto("security_log")
    .values({
      at,
      event,
      user_id: who.userId ?? null,
      email: who.email ?? null,
      ip: info.ip,
      user_agent: info.userAgent?.slice(0, 300) ?? null,
      detail: JSON.stringify(detail),
    })
    .execute();
}
