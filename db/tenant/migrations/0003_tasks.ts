import { randomBytes } from "node:crypto";
import { sql, type Kysely, type Migration } from "kysely";

// Inlined rather than imported: a released migration must not change when application code does.
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
function rowId(prefix: string) {
  let id = prefix;
  for (const b of randomBytes(24)) id += BASE32[b & 31];
  return id;
}

/** Inserted here, not at organisation creation, so files made before this migration get them too. */
const DEFAULT_STATUSES = [
  { name: "Backlog", color: "#8a94a6", category: "todo" },
  { name: "To do", color: "#5b8def", category: "todo" },
  { name: "In progress", color: "#f2a93b", category: "doing" },
  { name: "In review", color: "#a06cd5", category: "doing" },
  { name: "Done", color: "#3fa66b", category: "done" },
] as const;

/**
 * Workflow statuses, labels, tasks (and requests), assignees, task labels and comments.
 * Index choices are for a list of ~20,000 tasks filtered by project/status/assignee/due (see below).
 */
/** The one table this migration writes rows to, as it creates it (the app's schema type moves on). */
interface Frozen0003 {
  workflow_statuses: {
    id: string;
    name: string;
    color: string;
    position: number;
    category: string;
    created_at: number;
    updated_at: number;
  };
}

export const migration0003: Migration = {
  async up(db: Kysely<Frozen0003>) {
    await db.schema
      .createTable("workflow_statuses")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("color", "text", (c) => c.notNull().check(sql`color glob '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'`))
      .addColumn("position", "integer", (c) => c.notNull())
      .addColumn("category", "text", (c) => c.notNull().check(sql`category in ('todo', 'doing', 'done')`))
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("workflow_statuses_name_unique")
      .on("workflow_statuses")
      .expression(sql`lower(name)`)
      .unique()
      .execute();

    await db.schema
      .createTable("labels")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("color", "text", (c) => c.notNull().check(sql`color glob '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'`))
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("labels_name_unique")
      .on("labels")
      .expression(sql`lower(name)`)
      .unique()
      .execute();

    await db.schema
      .createTable("tasks")
      .addColumn("id", "text", (c) => c.primaryKey())
      // RESTRICT: a project with tasks is archived, never silently emptied.
      .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("restrict"))
      // RESTRICT: deleting a status in use must first move its tasks (the router does both in one transaction).
      .addColumn("status_id", "text", (c) => c.notNull().references("workflow_statuses.id").onDelete("restrict"))
      .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('task', 'request')`))
      .addColumn("title", "text", (c) => c.notNull())
      .addColumn("description", "text", (c) => c.notNull().defaultTo(""))
      .addColumn("priority", "integer", (c) =>
        c
          .notNull()
          .defaultTo(1)
          .check(sql`priority between 0 and 3`),
      )
      .addColumn("due_date", "text")
      .addColumn("estimate_seconds", "integer")
      .addColumn("created_by", "text")
      .addColumn("decline_reason", "text")
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .execute();
    // The board of one project (tasks per status, most urgent first) and "project + status" lists.
    await db.schema
      .createIndex("tasks_project_status")
      .on("tasks")
      .columns(["project_id", "status_id", "priority", "updated_at"])
      .execute();
    // One project's list sorted by, or filtered on, due date ("due before/after").
    await db.schema.createIndex("tasks_project_due").on("tasks").columns(["project_id", "due_date"]).execute();
    // One project's list in the default order (recently updated first).
    await db.schema.createIndex("tasks_project_updated").on("tasks").columns(["project_id", "updated_at"]).execute();
    // The board across every project (each column read in its own order, no sort), a status filter
    // across projects, and "is this status in use?" without a scan.
    await db.schema.createIndex("tasks_status_priority").on("tasks").columns(["status_id", "priority", "updated_at"]).execute();
    // "Overdue / due this week" across projects: only dated tasks are indexed.
    await sql`create index tasks_due on tasks (due_date) where due_date is not null`.execute(db);
    // The list across every visible project in its default order.
    await db.schema.createIndex("tasks_updated").on("tasks").column("updated_at").execute();

    await db.schema
      .createTable("task_assignees")
      .addColumn("task_id", "text", (c) => c.notNull().references("tasks.id").onDelete("cascade"))
      // CASCADE: a member who leaves is no longer assigned to anything.
      .addColumn("user_id", "text", (c) => c.notNull().references("members.user_id").onDelete("cascade"))
      .addPrimaryKeyConstraint("task_assignees_pk", ["task_id", "user_id"])
      .execute();
    // The assignee filter ("my tasks") starts from the member, then joins tasks by id.
    await db.schema.createIndex("task_assignees_user").on("task_assignees").columns(["user_id", "task_id"]).execute();

    await db.schema
      .createTable("task_labels")
      .addColumn("task_id", "text", (c) => c.notNull().references("tasks.id").onDelete("cascade"))
      .addColumn("label_id", "text", (c) => c.notNull().references("labels.id").onDelete("cascade"))
      .addPrimaryKeyConstraint("task_labels_pk", ["task_id", "label_id"])
      .execute();
    // The label filter starts from the label.
    await db.schema.createIndex("task_labels_label").on("task_labels").columns(["label_id", "task_id"]).execute();

    await db.schema
      .createTable("comments")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("task_id", "text", (c) => c.notNull().references("tasks.id").onDelete("cascade"))
      // No foreign key to members: a comment outlives its author's membership.
      .addColumn("author_id", "text", (c) => c.notNull())
      .addColumn("body", "text", (c) => c.notNull())
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .addColumn("edited_at", "integer")
      .execute();
    await db.schema.createIndex("comments_task").on("comments").columns(["task_id", "created_at"]).execute();

    // Project and task timelines read audit rows by the project and task ids their detail records
    // (task and comment rows carry both, so deleted tasks and comments stay on the timeline); without
    // these every timeline would scan the whole log. A query must spell the expression the same way.
    await sql`create index audit_log_project on audit_log (json_extract(detail, '$.project_id'))`.execute(db);
    await sql`create index audit_log_task on audit_log (json_extract(detail, '$.task_id'))`.execute(db);

    const now = Date.now();
    await db
      .insertInto("workflow_statuses")
      .values(DEFAULT_STATUSES.map((s, position) => ({ id: rowId("w"), ...s, position, created_at: now, updated_at: now })))
      .execute();
  },
};
