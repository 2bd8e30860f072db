import { tenantDb } from "../context";
import type { TaskRow } from "./schema";
import { priorityRank, taskViewQuery, toSummaries, type Person, type Priority } from "./task-view";

export interface TaskFields {
  title: string;
  description: string;
  priority: Priority;
  dueDate: string | null;
  estimateSeconds: number | null;
}

/** A task the caller may see, with its description, or undefined: hidden answers like missing. */
export async function findTask(id: string) {
  const row = await taskViewQuery()
    .leftJoin("members as creator", "creator.user_id", "tasks.created_by")
    .select(["tasks.description", "tasks.created_by", "creator.name as created_by_name"])
    .where("tasks.id", "=", id)
    .executeTakeFirst();
  if (!row) return undefined;
  const [summary] = await toSummaries([row]);
  return { ...summary!, description: row.description, createdBy: row.created_by, createdByName: row.created_by_name ?? null };
}

export type TaskDetail = NonNullable<Awaited<ReturnType<typeof findTask>>>;

export async function insertTask(
  row: { id: string; projectId: string; statusId: string; kind: TaskRow["kind"]; createdBy: string | null } & TaskFields,
  now: number,
): Promise<void> {
  await tenantDb()
    .insertInto("tasks")
    .values({
      id: row.id,
      project_id: row.projectId,
      status_id: row.statusId,
      kind: row.kind,
      title: row.title,
      description: row.description,
      priority: priorityRank(row.priority),
      due_date: row.dueDate,
      estimate_seconds: row.estimateSeconds,
      created_by: row.createdBy,
      decline_reason: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

export async function updateTask(id: string, f: Partial<TaskFields>, now: number): Promise<void> {
  await tenantDb()
    .updateTable("tasks")
    .set({
      ...(f.title !== undefined && { title: f.title }),
      ...(f.description !== undefined && { description: f.description }),
      ...(f.priority !== undefined && { priority: priorityRank(f.priority) }),
      ...(f.dueDate !== undefined && { due_date: f.dueDate }),
      ...(f.estimateSeconds !== undefined && { estimate_seconds: f.estimateSeconds }),
      updated_at: now,
    })
    .where("id", "=", id)
    .execute();
}

export async function setTaskState(
  id: string,
  state: { statusId: string; kind?: TaskRow["kind"]; declineReason?: string | null },
  now: number,
): Promise<void> {
  await tenantDb()
    .updateTable("tasks")
    .set({
      status_id: state.statusId,
      ...(state.kind !== undefined && { kind: state.kind }),
      ...(state.declineReason !== undefined && { decline_reason: state.declineReason }),
      updated_at: now,
    })
    .where("id", "=", id)
    .execute();
}

/** Comments, assignees and labels go with it (ON DELETE CASCADE). */
export async function deleteTask(id: string): Promise<void> {
  await tenantDb().deleteFrom("tasks").where("id", "=", id).execute();
}

/** Replaces the task's assignees; returns who was added and who removed. */
export async function setAssignees(taskId: string, userIds: readonly string[]) {
  const db = tenantDb();
  const before = new Set(
    (await db.selectFrom("task_assignees").select("user_id").where("task_id", "=", taskId).execute()).map((r) => r.user_id),
  );
  const after = new Set(userIds);
  const added = [...after].filter((u) => !before.has(u));
  const removed = [...before].filter((u) => !after.has(u));
  if (removed.length) await db.deleteFrom("task_assignees").where("task_id", "=", taskId).where("user_id", "in", removed).execute();
  if (added.length)
    await db
      .insertInto("task_assignees")
      .values(added.map((user_id) => ({ task_id: taskId, user_id })))
      .execute();
  return { added, removed };
}

export async function setLabels(taskId: string, labelIds: readonly string[]): Promise<void> {
  const db = tenantDb();
  await db.deleteFrom("task_labels").where("task_id", "=", taskId).execute();
  const unique = [...new Set(labelIds)];
  if (unique.length)
    await db
      .insertInto("task_labels")
      .values(unique.map((label_id) => ({ task_id: taskId, label_id })))
      .execute();
}

/** Which of these user ids are members of this organisation. */
export async function existingMemberIds(ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  // A deleted account keeps its member row (under a pseudonym) for its records, not for new work.
  const rows = await tenantDb()
    .selectFrom("members")
    .select("user_id")
    .where("user_id", "in", ids)
    .where("role", "!=", "deleted")
    .execute();
  return new Set(rows.map((r) => r.user_id));
}

/** Members a task can be assigned to, by name. */
export function assignableMembers(): Promise<Person[]> {
  return tenantDb()
    .selectFrom("members")
    .select(["user_id as userId", "name"])
    .where("role", "!=", "deleted")
    .orderBy("name")
    .orderBy("user_id")
    .execute();
}

/** Time entries point at tasks without a foreign key; a task with tracked time is not deleted under them. */
export async function taskHasTime(id: string): Promise<boolean> {
  const row = await tenantDb().selectFrom("time_entries").select("id").where("task_id", "=", id).limit(1).executeTakeFirst();
  return row !== undefined;
}
