import type { ControlDb } from "../../db/control/open";

/** Deletes sessions and emailed tokens past their expiry: once expired they are worth nothing to anyone. */
export async function purgeExpired(control: ControlDb, now: number) {
  const sessions = await control.deleteFrom("sessions").where("expires_at", "<=", now).executeTakeFirst();
  const tokens = await control.deleteFrom("email_tokens").where("expires_at", "<=", now).executeTakeFirst();
  return { sessions: Number(sessions.numDeletedRows), tokens: Number(tokens.numDeletedRows) };
}

/**
 * Credentials that stopped working before `cutoff` (expired or revoked then). They are kept for a
 * while after they die, not purged at expiry, because the security log names them (a grant's id,
 * "who invited whom") and the pages that list them show "expired" and "revoked" for a reason; they
 * go when the log rows that refer to them do. Accepted invitations are a membership's record and stay.
 */
export async function purgeDeadCredentials(control: ControlDb, cutoff: number) {
  const invitations = await control
    .deleteFrom("invitations")
    .where("accepted_at", "is", null)
    .where((eb) => eb.or([eb("expires_at", "<", cutoff), eb("revoked_at", "<", cutoff)]))
    .executeTakeFirst();
  const apiTokens = await control
    .deleteFrom("api_tokens")
    .where((eb) => eb.or([eb("expires_at", "<", cutoff), eb("revoked_at", "<", cutoff)]))
    .executeTakeFirst();
  // A grant's expiry must reach the security log before the grant goes (sweepExpiredGrants writes
  // it and sets expiry_logged); a revoked grant was logged when it was revoked.
  const grants = await control.transaction().execute(async (trx) => {
    const dead = trx
      .selectFrom("support_grants")
      .select("id")
      .where((eb) => eb.or([eb("revoked_at", "<", cutoff), eb.and([eb("expires_at", "<", cutoff), eb("expiry_logged", "=", 1)])]));
    const sessions = await trx.deleteFrom("support_sessions").where("grant_id", "in", dead).executeTakeFirst();
    const deleted = await trx.deleteFrom("support_grants").where("id", "in", dead).executeTakeFirst();
    return { grants: Number(deleted.numDeletedRows), supportSessions: Number(sessions.numDeletedRows) };
  });
  return { invitations: Number(invitations.numDeletedRows), apiTokens: Number(apiTokens.numDeletedRows), ...grants };
}
