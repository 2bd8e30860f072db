import type { ProjectAccess } from "../../db/tenant/visibility";
import type { Permission } from "../permissions/catalogue";

/**
 * The project access a member's role and client tie give: every project with project.read.all and no
 * client tie, otherwise what sharing allows (projectVisible). Used by the tenant door for each request
 * and by work done on a member's behalf outside one (digests), so the rule exists once.
 */
export function accessOf(userId: string, role: string, clientId: string | null, permissions: ReadonlySet<Permission>): ProjectAccess {
  return { seeAll: permissions.has("project.read.all") && clientId === null ? 1 : 0, userId, role, clientId };
}
