import type { Kysely } from "kysely";
import type { TenantDB } from "../../db/tenant/schema";
import type { ProjectAccess } from "../../db/tenant/visibility";
import { accessOf } from "../access/project-access";
import type { Permission } from "../permissions/catalogue";
import { permissionsOf } from "../permissions/roles";

export interface MemberView {
  userId: string;
  name: string;
  permissions: ReadonlySet<Permission>;
  access: ProjectAccess;
}

/** What a member may see right now, read from the tenant file as the door does: role, custom role, client tie. */
export async function memberView(db: Kysely<TenantDB>, userId: string): Promise<MemberView | null> {
  const member = await db
    .selectFrom("members")
    .leftJoin("roles", "roles.id", "members.role")
    .select(["members.user_id", "members.name", "members.role", "members.client_id", "roles.permissions"])
    .where("members.user_id", "=", userId)
    .executeTakeFirst();
  if (!member) return null;
  const permissions = permissionsOf(member.role, member.permissions);
  return { userId, name: member.name, permissions, access: accessOf(userId, member.role, member.client_id, permissions) };
}
