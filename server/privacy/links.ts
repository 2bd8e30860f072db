import { sql, type Kysely } from "kysely";
import type { ControlDb } from "../../db/control/open";
import type { ControlDB } from "../../db/control/schema";

/**
 * Organisations (active or closed) the control DB ties this person to: those they belong to,
 * created, were invited to, opened as support or hold tokens for. These files may name them, so
 * their name is replaced there; any other file is searched for their email only (ADR 009).
 */
export async function linkedTenantIds(db: Kysely<ControlDB>, userId: string, email: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom("tenants")
    .select("id")
    .where("status", "in", ["active", "closed"])
    .where((eb) =>
      eb.or([
        eb("created_by", "=", userId),
        eb("id", "in", eb.selectFrom("memberships").select("tenant_id").where("user_id", "=", userId)),
        eb(
          "id",
          "in",
          eb
            .selectFrom("invitations")
            .select("tenant_id")
            .where((i) => i.or([i("accepted_by", "=", userId), i(sql<string>`unicode_lower(email)`, "=", email)])),
        ),
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
 * to their address (they could still be accepted by signing up again). Their password still works:
 * if the deletion stops midway they can log in and run it again (ADR 009). Returns the organisations
 * linked to them, read in the same transaction, since the tokens and invitations deleted here are
 * among those links.
 */
export async function revokeAccess(control: ControlDb, userId: string, email: string): Promise<Set<string>> {
  return control.transaction().execute(async (trx) => {
    const linked = await linkedTenantIds(trx, userId, email);
    await trx.deleteFrom("sessions").where("user_id", "=", userId).execute();
    await trx.deleteFrom("api_tokens").where("user_id", "=", userId).execute();
    await trx.deleteFrom("support_sessions").where("staff_user_id", "=", userId).execute();
    await trx
      .deleteFrom("invitations")
      .where(sql<string>`unicode_lower(email)`, "=", email)
      .where("accepted_at", "is", null)
      .execute();
    return linked;
  });
}
