import { sql, type RawBuilder, type SqlBool } from "kysely";
import { currentTenant } from "./context";

/**
 * What a caller may see of the organisation's projects, as bound values (so statements compiled
 * once can take them). `seeAll` is 1 for a role with project.read.all and no client tie.
 */
export interface ProjectAccess {
  seeAll: number;
  userId: string;
  role: string;
  clientId: string | null;
}

/** For system work and support sessions: the whole organisation. */
export const FULL_ACCESS: ProjectAccess = Object.freeze({ seeAll: 1, userId: "", role: "", clientId: null });

export function currentAccess(): ProjectAccess {
  return currentTenant().access;
}

/**
 * The sharing rule, in one place, as a condition on a project id column: visible to a role with
 * project-wide reading; otherwise, for a member, when the project is in the shared space or shared
 * with them or their role; for a client contact, only when it is their client's project and shared
 * with that client. Tasks, time and reports join through this too, so no count leaks a hidden project.
 */
export function projectVisible(projectIdColumn: string, a: ProjectAccess = currentAccess()): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${a.seeAll} = 1 or exists (
    select 1 from projects vp where vp.id = ${sql.ref(projectIdColumn)} and (
      (${a.clientId} is null and vp.shared_space = 1)
      or exists (select 1 from project_shares vs where vs.project_id = vp.id and (
        (${a.clientId} is null and vs.subject_kind = 'member' and vs.subject_id = ${a.userId})
        or (${a.clientId} is null and vs.subject_kind = 'role' and vs.subject_id = ${a.role})
        or (vs.subject_kind = 'client' and vs.subject_id = ${a.clientId} and vp.client_id = ${a.clientId}))))))`;
}

/** Client contacts see their own client only; everyone else sees every client their role allows. */
export function clientVisible(clientIdColumn: string, a: ProjectAccess = currentAccess()): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${a.clientId} is null or ${sql.ref(clientIdColumn)} = ${a.clientId})`;
}
