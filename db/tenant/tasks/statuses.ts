import { tenantDb } from "../context";
import { projectVisible } from "../visibility";
import type { StatusCategory, WorkflowStatusRow } from "./schema";

export interface StatusFields {
  name: string;
  color: string;
  category: StatusCategory;
}

export function listStatuses(): Promise<WorkflowStatusRow[]> {
  return tenantDb().selectFrom("workflow_statuses").selectAll().orderBy("position").orderBy("id").execute();
}

/** Tasks per status, counting only tasks in projects the caller may see. */
export async function visibleTaskCounts(): Promise<Map<string, number>> {
  const rows = await tenantDb()
    .selectFrom("tasks")
    .select(["tasks.status_id", (eb) => eb.fn.countAll<number>().as("n")])
    .where(projectVisible("tasks.project_id"))
    .groupBy("tasks.status_id")
    .execute();
  return new Map(rows.map((r) => [r.status_id, Number(r.n)]));
}

export function findStatus(id: string) {
  return tenantDb().selectFrom("workflow_statuses").selectAll().where("id", "=", id).executeTakeFirst();
}

/** The first status of a category in board order: where new tasks, accepted and declined requests go. */
export function firstStatusOf(category: StatusCategory) {
  return tenantDb()
    .selectFrom("workflow_statuses")
    .selectAll()
    .where("category", "=", category)
    .orderBy("position")
    .orderBy("id")
    .limit(1)
    .executeTakeFirst();
}

export async function countStatuses(category?: StatusCategory): Promise<number> {
  let q = tenantDb()
    .selectFrom("workflow_statuses")
    .select((eb) => eb.fn.countAll<number>().as("n"));
  if (category) q = q.where("category", "=", category);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

/**
 * Whether any task (in any project, visible or not) uses the status. Deliberately not filtered by
 * visibility: it guards a change to the whole organisation's workflow, and answers only yes or no.
 */
export async function statusInUse(id: string): Promise<boolean> {
  const row = await tenantDb().selectFrom("tasks").select("id").where("status_id", "=", id).limit(1).executeTakeFirst();
  return row !== undefined;
}

export async function insertStatus(id: string, f: StatusFields, now: number): Promise<void> {
  const last = await tenantDb()
    .selectFrom("workflow_statuses")
    .select((eb) => eb.fn.max<number | null>("position").as("p"))
    .executeTakeFirst();
  await tenantDb()
    .insertInto("workflow_statuses")
    .values({ id, ...f, position: (last?.p ?? -1) + 1, created_at: now, updated_at: now })
    .execute();
}

export async function updateStatus(id: string, f: Partial<StatusFields>, now: number): Promise<void> {
  await tenantDb()
    .updateTable("workflow_statuses")
    .set({ ...f, updated_at: now })
    .where("id", "=", id)
    .execute();
}

/** Puts the status at `position` (0-based, clamped) and renumbers the others densely. */
export async function moveStatusTo(id: string, position: number, now: number): Promise<void> {
  const ids = (await listStatuses()).map((s) => s.id).filter((s) => s !== id);
  ids.splice(Math.max(0, Math.min(position, ids.length)), 0, id);
  await renumber(ids, now);
}

async function renumber(ids: string[], now: number) {
  for (const [position, id] of ids.entries()) {
    await tenantDb()
      .updateTable("workflow_statuses")
      .set({ position, updated_at: now })
      .where("id", "=", id)
      .where("position", "!=", position)
      .execute();
  }
}

/** Moves every task of one status to another (all projects: the status is the organisation's). */
export async function reassignTasks(fromId: string, toId: string, now: number): Promise<number> {
  const result = await tenantDb()
    .updateTable("tasks")
    .set({ status_id: toId, updated_at: now })
    .where("status_id", "=", fromId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function deleteStatus(id: string, now: number): Promise<void> {
  await tenantDb().deleteFrom("workflow_statuses").where("id", "=", id).execute();
  await renumber(
    (await listStatuses()).map((s) => s.id),
    now,
  );
}
