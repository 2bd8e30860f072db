import { deleteMember, insertMemberIfAbsent, type NewMember } from "../../db/tenant/access/members";
import { findClient } from "../../db/tenant/clients";
import { inTenantTransaction, runInTenant } from "../../db/tenant/context";
import { FULL_ACCESS } from "../../db/tenant/visibility";
import { audit } from "../audit/audit";
import type { Services } from "../services";
import { kickCompaction, queueCompaction } from "../privacy/compaction";
import { reapplyDeletions } from "../privacy/erase-member";
import { badRequest, conflict } from "../trpc/errors";
import { emitEvent } from "../webhooks/events";
import type { Actor } from "../trpc/tenant-context";
import { resolveRole } from "./role-grants";

/**
 * Joining writes two files in a fixed order (SQLite has no atomic commit across them): first the
 * member row with its role in the tenant file, then the membership in the control DB, which is what
 * opens the door. A crash in between leaves a member row nobody can use, and a retry completes it.
 */
export async function joinOrganisation(
  services: Services,
  tenantId: string,
  member: NewMember,
  actor: Actor,
  detail: Record<string, unknown>,
) {
  const lease = await services.pool.acquire(tenantId);
  try {
    await runInTenant({ tenantId, db: lease.db, access: FULL_ACCESS }, () =>
      inTenantTransaction(async () => {
        await resolveRole(member.role);
        if (member.clientId) {
          if (!(await findClient(member.clientId)))
            throw badRequest("The client this invitation names no longer exists; ask for a new invitation.");
        }
        if (await insertMemberIfAbsent(member, services.clock.now())) {
          await audit(actor, "member.join", { type: "member", id: member.userId }, { role: member.role, ...detail });
          await emitEvent(services, "member.joined", { member: { user_id: member.userId, name: member.name, role: member.role } });
        }
      }),
    );
  } finally {
    lease.release();
  }
  await services.control
    .insertInto("memberships")
    .values({ user_id: member.userId, tenant_id: tenantId, created_at: services.clock.now() })
    .onConflict((oc) => oc.columns(["user_id", "tenant_id"]).doNothing())
    .execute();
  await undoJoinOfDeletedAccount(services, tenantId, member.userId);
}

/**
 * An account deletion checks for new links inside its final write lock, and this runs after the
 * membership is written: of a join and a deletion racing each other, one always sees the other.
 * When it is this side, the join is undone and the member row just written is erased (ADR 009).
 */
async function undoJoinOfDeletedAccount(services: Services, tenantId: string, userId: string) {
  const account = await services.control.selectFrom("users").select("deleted_at").where("id", "=", userId).executeTakeFirst();
  if (account?.deleted_at === null || account?.deleted_at === undefined) return;
  await services.control.deleteFrom("memberships").where("user_id", "=", userId).where("tenant_id", "=", tenantId).execute();
  const lease = await services.pool.acquire(tenantId);
  try {
    await reapplyDeletions(services.control, lease.db, { name: tenantId, slug: tenantId }, services.clock.now());
  } finally {
    lease.release();
  }
  await queueCompaction(services.control, [tenantId], services.clock.now());
  kickCompaction(services);
  throw conflict("This account has been deleted.");
}

/**
 * Leaving is the reverse order: the control membership goes first, so the person's sessions lose
 * this organisation on their very next request; then the member row and their personal shares.
 * Call inside the tenant context (the caller's transaction writes the audit row).
 */
export async function removeFromOrganisation(services: Services, tenantId: string, userId: string) {
  await services.control.deleteFrom("memberships").where("user_id", "=", userId).where("tenant_id", "=", tenantId).execute();
  // The door already refuses their tokens (no membership); revoking keeps them dead if the person rejoins.
  await services.control
    .updateTable("api_tokens")
    .set({ revoked_at: services.clock.now() })
    .where("user_id", "=", userId)
    .where("tenant_id", "=", tenantId)
    .where("revoked_at", "is", null)
    .execute();
  await deleteMember(userId);
}
