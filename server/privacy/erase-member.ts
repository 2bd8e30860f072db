import { sql, type Kysely, type Transaction } from "kysely";
import type { ControlDb } from "../../db/control/open";
import type { TenantDB } from "../../db/tenant/schema";
import { conflict } from "../trpc/errors";
import { pseudonymEmail } from "./pseudonym";

/**
 * The role a deleted person's member row keeps. It names no built-in or custom role, so it grants
 * nothing (and the door wants a control membership first, which is gone); it is not "owner", so the
 * last-owner rule counts only real people.
 */
export const DELETED_MEMBER_ROLE = "deleted";

/**
 * What an account deletion may change in an organisation it belongs or belonged to, as
 * (table, column) pairs; everything else in the file is the organisation's record and stays as it
 * was. Rows it may delete or add are listed apart. The tests compare every row against these.
 */
export const ERASABLE_FIELDS = {
  updated: [
    ["members", "name"],
    ["members", "email"],
    ["members", "role"],
    ["members", "client_id"],
    ["members", "digest_opt_in"],
    ["members", "digest_sent_on"],
    ["audit_log", "ip"],
    ["audit_log", "user_agent"],
    ["time_entries", "ended_at"],
    ["time_entries", "duration_seconds"],
    ["time_entries", "updated_at"],
  ],
  deletedFrom: ["task_assignees", "project_shares"],
  insertedInto: ["audit_log"],
} as const;

type TenantRef = { name: string; slug: string };

export async function isLastOwner(db: Pick<Transaction<TenantDB>, "selectFrom">, userId: string) {
  const owners = await db.selectFrom("members").select("user_id").where("role", "=", "owner").execute();
  return owners.length === 1 && owners[0]!.user_id === userId;
}

/**
 * Runs `work` in one transaction with secure_delete on, so the cells it rewrites or deletes are
 * zeroed in place rather than left in the page's free space. Holds the handle's only connection.
 * The rest (old page versions in the WAL, free pages) is the compaction job's (compaction.ts).
 */
export async function inSecureTransaction<DB>(db: Kysely<DB>, work: (trx: Transaction<DB>) => Promise<void>): Promise<void> {
  await db.connection().execute(async (conn) => {
    const before = (await sql<{ secure_delete: number }>`pragma secure_delete`.execute(conn)).rows[0]?.secure_delete ?? 0;
    await sql`pragma secure_delete = 1`.execute(conn);
    try {
      await conn.transaction().execute(work);
    } finally {
      await sql.raw(`pragma secure_delete = ${before ? 1 : 0}`).execute(conn);
    }
  });
}

/**
 * Erases one account from one organisation file, by its user id only (issue 24): its member row
 * becomes the pseudonym with role "deleted", so the ids in comments, tasks, time and the audit log
 * (which stay as they are) now resolve to the pseudonym; its personal shares and task assignments
 * go; a timer it left running is stopped; its audit rows forget their IP and browser (the one update
 * the audit log's trigger allows). No text anyone typed is read or rewritten: client contacts,
 * notes, descriptions, invoices and audit details are the organisation's record, and issued
 * invoices stay exactly as issued. Idempotent.
 */
export async function eraseMember(
  trx: Transaction<TenantDB>,
  tenant: TenantRef,
  userId: string,
  pseudonym: string,
  now: number,
  ownerCheck = true,
) {
  const member = await trx.selectFrom("members").select(["role"]).where("user_id", "=", userId).executeTakeFirst();
  // Checked again inside the write lock: an owner who left after the first check must not leave the
  // organisation without any owner.
  if (ownerCheck && member && (await isLastOwner(trx, userId))) {
    throw conflict(
      `You are the last owner of ${tenant.name} (${tenant.slug}). Make someone else an owner there before deleting your account.`,
    );
  }
  if (member) {
    await trx
      .updateTable("members")
      .set({
        name: pseudonym,
        email: pseudonymEmail(pseudonym),
        role: DELETED_MEMBER_ROLE,
        client_id: null,
        digest_opt_in: 0,
        digest_sent_on: null,
      })
      .where("user_id", "=", userId)
      .execute();
    const already = await trx
      .selectFrom("audit_log")
      .select("id")
      .where("target_type", "=", "member")
      .where("target_id", "=", userId)
      .where("action", "=", "member.account_deleted")
      .executeTakeFirst();
    if (!already) {
      // A system row: the IP of whoever pressed the button would be the person's again.
      await trx
        .insertInto("audit_log")
        .values({
          at: now,
          actor_kind: "system",
          actor_id: null,
          ip: null,
          user_agent: null,
          action: "member.account_deleted",
          target_type: "member",
          target_id: userId,
          detail: JSON.stringify({ pseudonym }),
        })
        .execute();
    }
  }
  await trx.deleteFrom("project_shares").where("subject_kind", "=", "member").where("subject_id", "=", userId).execute();
  await trx.deleteFrom("task_assignees").where("user_id", "=", userId).execute();
  // A timer nobody can stop any more: the time until now is kept, like any stopped timer; one
  // younger than a second recorded nothing and is dropped, as Stop does (the file refuses 0 s).
  await trx
    .deleteFrom("time_entries")
    .where("member_id", "=", userId)
    .where("ended_at", "is", null)
    .where("started_at", ">", now - 1000)
    .execute();
  await trx
    .updateTable("time_entries")
    .set({ ended_at: now, duration_seconds: sql<number>`cast(max(0, (${now} - started_at) / 1000) as integer)`, updated_at: now })
    .where("member_id", "=", userId)
    .where("ended_at", "is", null)
    .execute();
  // What they did stays; where they did it from and with which browser was theirs.
  await trx
    .updateTable("audit_log")
    .set({ ip: null, user_agent: null })
    .where("actor_id", "=", userId)
    .where((eb) => eb.or([eb("ip", "is not", null), eb("user_agent", "is not", null)]))
    .execute();
}

/**
 * An organisation file restored from a backup taken before some of its members deleted their
 * accounts holds them again. This applies those deletions to the file once more (ADR 009), finding
 * each person by the user id of their member row, which the control DB marks as deleted. The
 * deletion stands even where the backup still made the person its only owner: the restore then
 * reports the organisation as ownerless. Returns the pseudonyms applied. Compacting the file
 * afterwards is the caller's (a request queues it, the restore CLI does it at once).
 */
export async function reapplyDeletions(control: ControlDb, db: Kysely<TenantDB>, tenant: TenantRef, now: number): Promise<string[]> {
  const members = await db.selectFrom("members").select("user_id").where("role", "!=", DELETED_MEMBER_ROLE).execute();
  // Someone who left before they deleted their account has no member row, but their audit rows
  // still say where they acted from.
  const actors = await db
    .selectFrom("audit_log")
    .select("actor_id")
    .distinct()
    .where("actor_id", "is not", null)
    .where((eb) => eb.or([eb("ip", "is not", null), eb("user_agent", "is not", null)]))
    .execute();
  const ids = [...new Set([...members.map((m) => m.user_id), ...actors.map((a) => a.actor_id!)])];
  if (!ids.length) return [];
  const deleted = await control
    .selectFrom("users")
    .select(["id", "pseudonym"])
    .where("deleted_at", "is not", null)
    .where("pseudonym", "is not", null)
    .where("id", "in", ids)
    .orderBy("id")
    .execute();
  const applied: string[] = [];
  for (const { id, pseudonym } of deleted) {
    await inSecureTransaction(db, (trx) => eraseMember(trx, tenant, id, pseudonym!, now, false));
    applied.push(pseudonym!);
  }
  return applied;
}
