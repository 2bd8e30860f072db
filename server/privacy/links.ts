import { sql, type Kysely } from "kysely";
import type { ControlDb } from "../../db/control/open";
import type { ControlDB } from "../../db/control/schema";

/**
 * Organisations (active or closed) the control DB ties this account to by its id: those it belongs
 * to, created, joined through an invitation it accepted, opened as support, or holds tokens for.
 * Only these files are opened by its deletion (ADR 009, issue 24); an invitation merely addressed to
 * the email is no link (nobody joined), and no organisation is ever searched for a name or address.
 */
export async function linkedTenantIds(db: Kysely<ControlDB>, userId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom("tenants")
    .select("id")
    .where("status", "in", ["active", "closed"])
    .where((eb) =>
      eb.or([
        eb("created_by", "=", userId),
        eb("id", "in", eb.selectFrom("memberships").select("tenant_id").where("user_id", "=", userId)),
        eb("id", "in", eb.selectFrom("invitations").select("tenant_id").where("accepted_by", "=", userId)),
        eb("id", "in", eb.selectFrom("support_grants").select("tenant_id").where("redeemed_by", "=", userId)),
        eb("id", "in", eb.selectFrom("api_tokens").select("tenant_id").where("user_id", "=", userId)),
      ]),
    )
    .execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * Ends every way in before any file is rewritten, so nothing the person does can add to what is
 * being erased: their sessions, API tokens and support sessions go, and so do pending invitations
 * to their address when the address is proven theirs (they could still be accepted by signing up
 * again); an unconfirmed sign-up's address may be someone else's, whose invitations are not its to
 * cancel. Their password still works: if the deletion stops midway they can log in and run it again
 * (ADR 009). Returns the organisations linked to them, read in the same transaction.
 */
export async function revokeAccess(control: ControlDb, userId: string, provenEmail: string | null): Promise<Set<string>> {
  return control.transaction().execute(async (trx) => {
    const linked = await linkedTenantIds(trx, userId);
    await trx.deleteFrom("sessions").where("user_id", "=", userId).execute();
    await trx.deleteFrom("api_tokens").where("user_id", "=", userId).execute();
    await trx.deleteFrom("support_sessions").where("staff_user_id", "=", userId).execute();
    if (provenEmail !== null) {
      await trx
        .deleteFrom("invitations")
        .where(sql<string>`unicode_lower(email)`, "=", provenEmail)
        .where("accepted_at", "is", null)
        .execute();
    }
    return linked;
  });
}
