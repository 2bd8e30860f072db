import { tenantDb } from "../context";
import type { ProjectSharesTable } from "../schema";

export type ShareKind = ProjectSharesTable["subject_kind"];

/** Who a project is shared with, with readable names for each subject. */
export function listShares(projectId: string) {
  return tenantDb()
    .selectFrom("project_shares as s")
    .leftJoin("members as m", (j) => j.onRef("m.user_id", "=", "s.subject_id").on("s.subject_kind", "=", "member"))
    .leftJoin("roles as r", (j) => j.onRef("r.id", "=", "s.subject_id").on("s.subject_kind", "=", "role"))
    .leftJoin("clients as c", (j) => j.onRef("c.id", "=", "s.subject_id").on("s.subject_kind", "=", "client"))
    .select(["s.subject_kind", "s.subject_id", "s.created_at", "m.name as member_name", "r.name as role_name", "c.name as client_name"])
    .where("s.project_id", "=", projectId)
    .orderBy("s.subject_kind")
    .orderBy("s.created_at")
    .execute();
}

/** Idempotent: sharing twice with the same subject keeps one row. */
export async function addShare(projectId: string, kind: ShareKind, subjectId: string, by: string, now: number) {
  const result = await tenantDb()
    .insertInto("project_shares")
    .values({ project_id: projectId, subject_kind: kind, subject_id: subjectId, created_by: by, created_at: now })
    .onConflict((oc) => oc.columns(["project_id", "subject_kind", "subject_id"]).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function removeShare(projectId: string, kind: ShareKind, subjectId: string) {
  const result = await tenantDb()
    .deleteFrom("project_shares")
    .where("project_id", "=", projectId)
    .where("subject_kind", "=", kind)
    .where("subject_id", "=", subjectId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function setSharedSpace(projectId: string, shared: boolean, now: number) {
  await tenantDb()
    .updateTable("projects")
    .set({ shared_space: shared ? 1 : 0, updated_at: now })
    .where("id", "=", projectId)
    .execute();
}
