import { sql } from "kysely";
import { tenantDb } from "../context";

export interface NewMember {
  userId: string;
  role: string;
  name: string;
  email: string;
  clientId: string | null;
}

export function listMembers() {
  return tenantDb()
    .selectFrom("members")
    .leftJoin("clients", "clients.id", "members.client_id")
    .leftJoin("roles", "roles.id", "members.role")
    .select([
      "members.user_id",
      "members.name",
      "members.email",
      "members.role",
      "members.client_id",
      "members.joined_at",
      "clients.name as client_name",
      "roles.name as custom_role_name",
    ])
    .orderBy(sql`lower(members.name)`)
    .execute();
}

export function findMember(userId: string) {
  return tenantDb()
    .selectFrom("members")
    .leftJoin("roles", "roles.id", "members.role")
    .select([
      "members.user_id",
      "members.name",
      "members.email",
      "members.role",
      "members.client_id",
      "roles.permissions as custom_permissions",
    ])
    .where("members.user_id", "=", userId)
    .executeTakeFirst();
}

/** Idempotent: accepting the same invitation twice (or after a crash) leaves one row. */
export async function insertMemberIfAbsent(m: NewMember, now: number) {
  const result = await tenantDb()
    .insertInto("members")
    .values({ user_id: m.userId, role: m.role, name: m.name, email: m.email, client_id: m.clientId, joined_at: now })
    .onConflict((oc) => oc.column("user_id").doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function setMemberRole(userId: string, role: string, clientId: string | null) {
  await tenantDb().updateTable("members").set({ role, client_id: clientId }).where("user_id", "=", userId).execute();
}

/** The member row and whatever was shared with them personally. */
export async function deleteMember(userId: string) {
  await tenantDb().deleteFrom("project_shares").where("subject_kind", "=", "member").where("subject_id", "=", userId).execute();
  await tenantDb().deleteFrom("members").where("user_id", "=", userId).execute();
}

export async function countMembersWithRole(role: string) {
  const row = await tenantDb()
    .selectFrom("members")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("role", "=", role)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
