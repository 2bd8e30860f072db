import type { Generated, Selectable } from "kysely";

/** An organisation's workflow: its task statuses, in board order. */
export interface WorkflowStatusesTable {
  id: string;
  name: string;
  /** "#rrggbb", lowercase. */
  color: string;
  /** Board order, 0-based; renumbered densely whenever a status moves or goes. */
  position: number;
  category: "todo" | "doing" | "done";
  created_at: number;
  updated_at: number;
}

export interface LabelsTable {
  id: string;
  name: string;
  color: string;
  created_at: number;
  updated_at: number;
}

export interface TasksTable {
  id: string;
  project_id: string;
  status_id: string;
  kind: "task" | "request";
  title: string;
  /** Markdown as written; rendered (safely) when read, never stored as HTML. */
  description: string;
  /** 0 low, 1 normal, 2 high, 3 urgent: an integer so "most urgent first" is an index-friendly sort. */
  priority: number;
  /** A calendar date, "YYYY-MM-DD" (sorts as text), in the organisation's own calendar. */
  due_date: string | null;
  estimate_seconds: number | null;
  /** Who created or raised it (a user id; no foreign key, it outlives the membership). */
  created_by: string | null;
  /** Set when a request is declined. */
  decline_reason: string | null;
  created_at: number;
  updated_at: number;
}

export interface TaskAssigneesTable {
  task_id: string;
  user_id: string;
}

export interface TaskLabelsTable {
  task_id: string;
  label_id: string;
}

export interface CommentsTable {
  id: string;
  task_id: string;
  author_id: string;
  /** Markdown as written. */
  body: string;
  created_at: number;
  updated_at: number;
  edited_at: Generated<number | null>;
}

/** Tables of the tasks domain (statuses, labels, tasks, assignees, comments): see migration 0003. */
export interface TaskTables {
  workflow_statuses: WorkflowStatusesTable;
  labels: LabelsTable;
  tasks: TasksTable;
  task_assignees: TaskAssigneesTable;
  task_labels: TaskLabelsTable;
  comments: CommentsTable;
}

export type WorkflowStatusRow = Selectable<WorkflowStatusesTable>;
export type LabelRow = Selectable<LabelsTable>;
export type TaskRow = Selectable<TasksTable>;
export type CommentRow = Selectable<CommentsTable>;
export type StatusCategory = WorkflowStatusRow["category"];
