import { tenantDb } from "../context";
import { projectVisible } from "../visibility";
import type { TaskRow } from "./schema";

/** How tasks are read for the API: one visible-only query shape, and the summaries built from it. */

export const PRIORITIES = ["low", "normal", "high", "urgent"] as const;
export type Priority = (typeof PRIORITIES)[number];
export const priorityName = (n: number): Priority => PRIORITIES[n] ?? "normal";
export const priorityRank = (p: Priority): number => PRIORITIES.indexOf(p);

export interface Person {
  userId: string;
  name: string;
}

export interface TaskLabel {
  id: string;
  name: string;
  color: string;
}

/** One task as the API shows it in lists and on the board. */
export interface TaskSummary {
  id: string;
  projectId: string;
  projectName: string;
  kind: TaskRow["kind"];
  title: string;
  priority: Priority;
  dueDate: string | null;
  estimateSeconds: number | null;
  status: { id: string; name: string; color: string; category: string };
  assignees: Person[];
  labels: TaskLabel[];
  declineReason: string | null;
  createdAt: number;
  updatedAt: number;
}

/** The columns every task view selects: the task, its project's name and its status. */
export function taskViewQuery() {
  return tenantDb()
    .selectFrom("tasks")
    .innerJoin("projects", "projects.id", "tasks.project_id")
    .innerJoin("workflow_statuses as st", "st.id", "tasks.status_id")
    .select([
      "tasks.id",
      "tasks.project_id",
      "tasks.kind",
      "tasks.title",
      "tasks.priority",
      "tasks.due_date",
      "tasks.estimate_seconds",
      "tasks.decline_reason",
      "tasks.created_at",
      "tasks.updated_at",
      "projects.name as project_name",
      "st.id as status_id",
      "st.name as status_name",
      "st.color as status_color",
      "st.category as status_category",
    ])
    .where(projectVisible("tasks.project_id"));
}

type ViewRow = Awaited<ReturnType<ReturnType<typeof taskViewQuery>["execute"]>>[number];

/** Rows of taskViewQuery → summaries, with assignees and labels read in two queries for the page. */
export async function toSummaries(rows: ViewRow[]): Promise<TaskSummary[]> {
  const ids = rows.map((r) => r.id);
  const [assignees, labels] = await Promise.all([assigneesOf(ids), labelsOf(ids)]);
  return rows.map((r) => ({
    id: r.id,
    projectId: r.project_id,
    projectName: r.project_name,
    kind: r.kind,
    title: r.title,
    priority: priorityName(r.priority),
    dueDate: r.due_date,
    estimateSeconds: r.estimate_seconds,
    status: { id: r.status_id, name: r.status_name, color: r.status_color, category: r.status_category },
    assignees: assignees.get(r.id) ?? [],
    labels: labels.get(r.id) ?? [],
    declineReason: r.decline_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

async function assigneesOf(taskIds: string[]): Promise<Map<string, Person[]>> {
  const out = new Map<string, Person[]>();
  if (taskIds.length === 0) return out;
  const rows = await tenantDb()
    .selectFrom("task_assignees")
    .innerJoin("members", "members.user_id", "task_assignees.user_id")
    .select(["task_assignees.task_id", "members.user_id", "members.name"])
    .where("task_assignees.task_id", "in", taskIds)
    .orderBy("members.name")
    .execute();
  for (const r of rows) out.set(r.task_id, [...(out.get(r.task_id) ?? []), { userId: r.user_id, name: r.name }]);
  return out;
}

async function labelsOf(taskIds: string[]): Promise<Map<string, TaskLabel[]>> {
  const out = new Map<string, TaskLabel[]>();
  if (taskIds.length === 0) return out;
  const rows = await tenantDb()
    .selectFrom("task_labels")
    .innerJoin("labels", "labels.id", "task_labels.label_id")
    .select(["task_labels.task_id", "labels.id", "labels.name", "labels.color"])
    .where("task_labels.task_id", "in", taskIds)
    .orderBy("labels.name")
    .execute();
  for (const r of rows) out.set(r.task_id, [...(out.get(r.task_id) ?? []), { id: r.id, name: r.name, color: r.color }]);
  return out;
}
