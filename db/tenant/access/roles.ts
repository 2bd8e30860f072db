import { sql } from "kysely";
import type { Permission } from "../../../server/permissions/catalogue";
import { tenantDb } from "../context";
import type { RoleRow } from "../schema";

export interface RoleFields {
  name: string;
  description: string;
  permissions: Permission[];
}

export function listCustomRoles() {
  return tenantDb()
    .selectFrom("roles")
    .selectAll()
    .orderBy(sql`lower(name)`)
    .execute();
}

export function findCustomRole(id: string): Promise<RoleRow | undefined> {
  return tenantDb().selectFrom("roles").selectAll().where("id", "=", id).executeTakeFirst();
}

// Stored sorted, so two roles with the same permissions share one cached permission set.
const stored = (permissions: Permission[]) => JSON.stringify([...new Set(permissions)].sort());

export async function insertCustomRole(id: string, f: RoleFields, now: number) {
  await tenantDb()
    .insertInto("roles")
    .values({ id, name: f.name, description: f.description, permissions: stored(f.permissions), created_at: now, updated_at: now })
    .execute();
}

export async function updateCustomRole(id: string, f: Partial<RoleFields>, now: number) {
  await tenantDb()
    .updateTable("roles")
    .set({
      ...(f.name !== undefined && { name: f.name }),
      ...(f.description !== undefined && { description: f.description }),
      ...(f.permissions !== undefined && { permissions: stored(f.permissions) }),
      updated_at: now,
    })
    .where("id", "=", id)
    .execute();
}

export async function deleteCustomRole(id: string) {
  await tenantDb().deleteFrom("project_shares").where("subject_kind", "=", "role").where("subject_id", "=", id).execute();
  await tenantDb().deleteFrom("roles").where("id", "=", id).execute();
}
