import type { Kysely } from "kysely";
import type { ControlDB } from "../../db/control/schema";

/**
 * Cuts an organisation's control rows down to its tombstone: the data key destroyed, the name and
 * features blanked, memberships, invitations, support grants and sessions, API tokens and export
 * rows deleted. The slug stays so the address is never handed to someone else. Run inside a
 * transaction on the live control DB by the purge, and on each control backup by shredBackups, so
 * the two cannot drift apart. Returns false when no row in `fromStatus` was there to cut.
 */
export async function tombstoneTenant(
  trx: Kysely<ControlDB>,
  tenantId: string,
  now: number,
  fromStatus: readonly ControlDB["tenants"]["status"][],
  status: ControlDB["tenants"]["status"],
) {
  const r = await trx
    .updateTable("tenants")
    .set({ status, purged_at: now, name: "(purged)", features: "{}", wrapped_key: null })
    .where("id", "=", tenantId)
    .where("status", "in", fromStatus)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) return false;
  const grants = trx.selectFrom("support_grants").select("id").where("tenant_id", "=", tenantId);
  await trx.deleteFrom("support_sessions").where("grant_id", "in", grants).execute();
  await trx.deleteFrom("support_grants").where("tenant_id", "=", tenantId).execute();
  await trx.deleteFrom("memberships").where("tenant_id", "=", tenantId).execute();
  await trx.deleteFrom("invitations").where("tenant_id", "=", tenantId).execute();
  await trx.deleteFrom("api_tokens").where("tenant_id", "=", tenantId).execute();
  await trx.deleteFrom("org_exports").where("tenant_id", "=", tenantId).execute();
  return true;
}
