import { sql } from "kysely";
import { tenantDb } from "../context";
import { projectVisible } from "../visibility";
import type { StatusCategory, TaskRow } from "./schema";
import { taskViewQuery, toSummaries, type TaskSummary } from "./task-view";

export interface TaskFilter {
  projectId?: string;
  assigneeId?: string;
  statusId?: string;
  category?: StatusCategory;
  kind?: TaskRow["kind"];
  /** Inclusive calendar dates, "YYYY-MM-DD". */
  dueBefore?: string;
  dueAfter?: string;
  labelId?: string;
  /** Matched literally inside the title, whatever the case. */
  search?: string;
}

export type TaskSort = "due" | "priority" | "updated" | "created" | "title";
export type Direction = "asc" | "desc";

/** The natural direction of each sort: soonest due, most urgent, most recent, A to Z. */
export const DEFAULT_DIRECTION: Record<TaskSort, Direction> = {
  due: "asc",
  priority: "desc",
  updated: "desc",
  created: "desc",
  title: "asc",
};

function filtered(f: TaskFilter) {
  let q = taskViewQuery();
  if (f.projectId !== undefined) q = q.where("tasks.project_id", "=", f.projectId);
  if (f.statusId !== undefined) q = q.where("tasks.status_id", "=", f.statusId);
  if (f.category !== undefined) q = q.where("st.category", "=", f.category);
  if (f.kind !== undefined) q = q.where("tasks.kind", "=", f.kind);
  if (f.dueBefore !== undefined) q = q.where("tasks.due_date", "<=", f.dueBefore);
  if (f.dueAfter !== undefined) q = q.where("tasks.due_date", ">=", f.dueAfter);
  // IN (subquery) starts from the member's or label's index rather than scanning every task.
  if (f.assigneeId !== undefined) {
    const assigneeId = f.assigneeId;
    q = q.where("tasks.id", "in", (eb) =>
      eb.selectFrom("task_assignees").select("task_assignees.task_id").where("task_assignees.user_id", "=", assigneeId),
    );
  }
  if (f.labelId !== undefined) {
    const labelId = f.labelId;
    q = q.where("tasks.id", "in", (eb) =>
      eb.selectFrom("task_labels").select("task_labels.task_id").where("task_labels.label_id", "=", labelId),
    );
  }
  // instr, not LIKE: "%" and "_" in a search are literal characters.
  if (f.search !== undefined) q = q.where(sql<number>`instr(lower(tasks.title), lower(${f.search}))`, ">", 0);
  return q;
}

/** One page of visible tasks and how many visible tasks match in all (for the pager). */
export async function listTasks(
  f: TaskFilter,
  order: { sort: TaskSort; direction?: Direction },
  page: { limit: number; offset: number },
): Promise<{ items: TaskSummary[]; total: number }> {
  const dir = order.direction ?? DEFAULT_DIRECTION[order.sort];
  let q = filtered(f);
  switch (order.sort) {
    case "due":
      // Undated tasks last, whichever way dates run.
      q = q
        .orderBy(sql`tasks.due_date is null`)
        .orderBy("tasks.due_date", dir)
        .orderBy("tasks.priority", "desc");
      break;
    case "priority":
      q = q
        .orderBy("tasks.priority", dir)
        .orderBy(sql`tasks.due_date is null`)
        .orderBy("tasks.due_date");
      break;
    case "updated":
      q = q.orderBy("tasks.updated_at", dir);
      break;
    case "created":
      q = q.orderBy("tasks.created_at", dir);
      break;
    case "title":
      q = q.orderBy(sql`tasks.title collate nocase`, dir);
      break;
  }
  const rows = await q.orderBy("tasks.id").limit(page.limit).offset(page.offset).execute();
  // The count runs over the same visible, filtered set, so it never counts a hidden project's tasks.
  const count = await filtered(f)
    .clearSelect()
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return { items: await toSummaries(rows), total: Number(count.n) };
}

export interface BoardOptions {
  projectId?: string;
  kind?: TaskRow["kind"];
  /** Most tasks shown per column; `total` says how many there are. */
  perColumn: number;
}

/**
 * Visible tasks of each status, the most urgent first, capped per column. One query per column, so
 * each walks an index (tasks_project_status or tasks_status_priority) in board order and stops at the cap.
 */
export async function boardTasks(statusIds: readonly string[], opts: BoardOptions) {
  const f: TaskFilter = { projectId: opts.projectId, kind: opts.kind };
  const byStatus = new Map<string, TaskSummary[]>();
  for (const statusId of statusIds) {
    const rows = await filtered({ ...f, statusId })
      .orderBy("tasks.priority", "desc")
      .orderBy("tasks.updated_at", "desc")
      .orderBy("tasks.id")
      .limit(opts.perColumn)
      .execute();
    byStatus.set(statusId, await toSummaries(rows));
  }
  const counts = await tenantDb()
    .selectFrom("tasks")
    .select(["tasks.status_id", (eb) => eb.fn.countAll<number>().as("n")])
    .where(projectVisible("tasks.project_id"))
    .$if(opts.projectId !== undefined, (q) => q.where("tasks.project_id", "=", opts.projectId!))
    .$if(opts.kind !== undefined, (q) => q.where("tasks.kind", "=", opts.kind!))
    .groupBy("tasks.status_id")
    .execute();
  return { byStatus, totals: new Map(counts.map((c) => [c.status_id, Number(c.n)])) };
}
