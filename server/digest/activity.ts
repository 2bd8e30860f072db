import { sql } from "kysely";
import { tenantDb } from "../../db/tenant/context";
import { addDays, localDate } from "../../db/tenant/reports/periods";
import { scopedEntries } from "../../db/tenant/reports/scope";
import { clientVisible, projectVisible } from "../../db/tenant/visibility";
import type { Clock } from "../clock";
import type { Permission } from "../permissions/catalogue";
import { scopeFor } from "../routers/reports";

/**
 * What happened in a window, as one person may see it: the daily digest and a project's activity
 * report both read it, so the two never disagree. Runs inside a tenant scope whose `access` is that
 * person's (a request's, or the member's built by memberView), so every query filters projects with
 * projectVisible; each section also needs the permission that shows it in the app (task.read,
 * comment.read, time.read.own/all, invoice.read) and is null without it. Hours follow the reports'
 * rule (scopeFor): everyone's with time.read.all, otherwise the person's own.
 */

export interface ActivityViewer {
  userId: string;
  permissions: ReadonlySet<Permission>;
}

export interface ActivityWindow {
  /** [startMs, endMs), UTC ms: local midnights of the organisation's zone. */
  startMs: number;
  endMs: number;
  /** Local dates of the window, inclusive, for the day-by-day series. */
  from: string;
  to: string;
  zone: string;
  /** Only this project (the report); unset = every project the viewer can see (the digest). */
  projectId?: string;
}

export interface TaskItem {
  id: string;
  title: string;
  projectId: string;
  projectName: string;
  at: number;
}

export interface InvoiceItem {
  id: string;
  number: string | null;
  clientName: string;
  total: number;
  currency: string;
  status: string;
  at: number;
}

export interface ProjectCount {
  projectId: string;
  projectName: string;
  count: number;
}

export interface DayCounts {
  date: string;
  tasksCreated: number;
  tasksCompleted: number;
  comments: number;
  seconds: number;
  invoicesIssued: number;
}

export interface Activity {
  tasksCreated: { total: number; items: TaskItem[] } | null;
  tasksCompleted: { total: number; items: TaskItem[] } | null;
  comments: { total: number; byProject: ProjectCount[] } | null;
  /** `onlyOwn`: the viewer lacks time.read.all, so this is their own time. */
  hours: { seconds: number; onlyOwn: boolean; byProject: (Omit<ProjectCount, "count"> & { seconds: number })[] } | null;
  invoicesIssued: { total: number; items: InvoiceItem[] } | null;
  days: DayCounts[];
}

/** Items listed per section; totals and the day series count everything. */
export const MAX_ITEMS = 100;

const taskMovedTo = sql<string>`json_extract(audit_log.detail, '$.to')`;
const taskMovedFrom = sql<string>`json_extract(audit_log.detail, '$.from')`;

function createdTasks(w: ActivityWindow) {
  let q = tenantDb()
    .selectFrom("tasks")
    .innerJoin("projects", "projects.id", "tasks.project_id")
    .select(["tasks.id", "tasks.title", "tasks.project_id as projectId", "projects.name as projectName", "tasks.created_at as at"])
    .where("tasks.created_at", ">=", w.startMs)
    .where("tasks.created_at", "<", w.endMs)
    .where(projectVisible("tasks.project_id"));
  if (w.projectId !== undefined) q = q.where("tasks.project_id", "=", w.projectId);
  return q.orderBy("tasks.created_at").orderBy("tasks.id").execute();
}

/**
 * Completion is a move into a "done" status from one that is not (the task.move audit rows record
 * both), so shuffling a task between two done columns completes nothing. A task completed twice in
 * the window is listed once, at its last completion. Tasks deleted since are left out (their titles
 * are gone), and so is what the organisation's audit retention has already removed.
 */
async function completedTasks(w: ActivityWindow): Promise<TaskItem[]> {
  let q = tenantDb()
    .selectFrom("audit_log")
    .innerJoin("tasks", "tasks.id", "audit_log.target_id")
    .innerJoin("projects", "projects.id", "tasks.project_id")
    .innerJoin("workflow_statuses as moved_to", (j) => j.on(sql.ref("moved_to.id"), "=", taskMovedTo))
    .leftJoin("workflow_statuses as moved_from", (j) => j.on(sql.ref("moved_from.id"), "=", taskMovedFrom))
    .select(["tasks.id", "tasks.title", "tasks.project_id as projectId", "projects.name as projectName", "audit_log.at"])
    .where("audit_log.action", "=", "task.move")
    .where("audit_log.target_type", "=", "task")
    .where("audit_log.at", ">=", w.startMs)
    .where("audit_log.at", "<", w.endMs)
    .where("moved_to.category", "=", "done")
    .where((eb) => eb.or([eb("moved_from.category", "is", null), eb("moved_from.category", "!=", "done")]))
    .where(projectVisible("tasks.project_id"));
  if (w.projectId !== undefined) q = q.where("tasks.project_id", "=", w.projectId);
  const rows = await q.orderBy("audit_log.id").execute();
  const last = new Map<string, TaskItem>();
  for (const r of rows) {
    last.delete(r.id);
    last.set(r.id, r);
  }
  return [...last.values()];
}

function comments(w: ActivityWindow) {
  let q = tenantDb()
    .selectFrom("comments")
    .innerJoin("tasks", "tasks.id", "comments.task_id")
    .innerJoin("projects", "projects.id", "tasks.project_id")
    .select(["tasks.project_id as projectId", "projects.name as projectName", "comments.created_at as at"])
    .where("comments.created_at", ">=", w.startMs)
    .where("comments.created_at", "<", w.endMs)
    .where(projectVisible("tasks.project_id"));
  if (w.projectId !== undefined) q = q.where("tasks.project_id", "=", w.projectId);
  return q.execute();
}

function timeEntries(viewer: ActivityViewer, w: ActivityWindow, clock: Clock) {
  const caller = {
    actor: { kind: "system" as const, id: viewer.userId, ip: "", userAgent: null },
    permissions: viewer.permissions,
    services: { clock },
  };
  const scope = scopeFor(caller, { projectId: w.projectId }, { startMs: w.startMs, endMs: w.endMs });
  return {
    onlyOwn: scope.ownMemberId !== null,
    rows: scopedEntries(scope)
      .select([
        "time_entries.project_id as projectId",
        "projects.name as projectName",
        "time_entries.started_at as at",
        "time_entries.duration_seconds as seconds",
      ])
      .execute(),
  };
}

/**
 * Issued in the window, of clients the viewer may see (the invoice list's rule). For one project:
 * invoices billing that project's time (a time line names it); manual-only invoices belong to no project.
 */
function issuedInvoices(w: ActivityWindow) {
  let q = tenantDb()
    .selectFrom("invoices")
    .innerJoin("clients", "clients.id", "invoices.client_id")
    .select([
      "invoices.id",
      "invoices.number",
      "clients.name as clientName",
      "invoices.total",
      "invoices.currency",
      "invoices.status",
      "invoices.issued_at",
    ])
    .where("invoices.issued_at", ">=", w.startMs)
    .where("invoices.issued_at", "<", w.endMs)
    .where(clientVisible("invoices.client_id"));
  const projectId = w.projectId;
  if (projectId !== undefined) {
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom("invoice_lines")
          .select("invoice_lines.id")
          .whereRef("invoice_lines.invoice_id", "=", "invoices.id")
          .where("invoice_lines.project_id", "=", projectId),
      ),
    );
  }
  return q.orderBy("invoices.issued_at").execute();
}

function byProject<T extends { projectId: string; projectName: string }>(rows: T[], weight: (r: T) => number) {
  const out = new Map<string, { projectId: string; projectName: string; n: number }>();
  for (const r of rows) {
    const e = out.get(r.projectId) ?? { projectId: r.projectId, projectName: r.projectName, n: 0 };
    e.n += weight(r);
    out.set(r.projectId, e);
  }
  return [...out.values()].sort((a, b) => b.n - a.n || a.projectName.localeCompare(b.projectName));
}

export async function activityIn(viewer: ActivityViewer, w: ActivityWindow, clock: Clock): Promise<Activity> {
  const can = (p: Permission) => viewer.permissions.has(p);
  const time = can("time.read.all") || can("time.read.own") ? timeEntries(viewer, w, clock) : null;
  const [created, completed, said, entries, invoices] = await Promise.all([
    can("task.read") ? createdTasks(w) : null,
    can("task.read") ? completedTasks(w) : null,
    can("comment.read") ? comments(w) : null,
    time?.rows ?? null,
    can("invoice.read") ? issuedInvoices(w) : null,
  ]);

  const days = new Map<string, DayCounts>();
  for (let d = w.from; d <= w.to; d = addDays(d, 1))
    days.set(d, { date: d, tasksCreated: 0, tasksCompleted: 0, comments: 0, seconds: 0, invoicesIssued: 0 });
  const bump = (at: number, key: Exclude<keyof DayCounts, "date">, n = 1) => {
    const day = days.get(localDate(at, w.zone));
    if (day) day[key] += n;
  };
  for (const r of created ?? []) bump(r.at, "tasksCreated");
  for (const r of completed ?? []) bump(r.at, "tasksCompleted");
  for (const r of said ?? []) bump(r.at, "comments");
  for (const r of entries ?? []) bump(r.at, "seconds", r.seconds);
  for (const r of invoices ?? []) bump(r.issued_at!, "invoicesIssued");

  return {
    tasksCreated: created && { total: created.length, items: created.slice(0, MAX_ITEMS) },
    tasksCompleted: completed && { total: completed.length, items: completed.slice(0, MAX_ITEMS) },
    comments: said && { total: said.length, byProject: byProject(said, () => 1).map(({ n, ...p }) => ({ ...p, count: n })) },
    hours: entries && {
      seconds: entries.reduce((s, r) => s + r.seconds, 0),
      onlyOwn: time!.onlyOwn,
      byProject: byProject(entries, (r) => r.seconds).map(({ n, ...p }) => ({ ...p, seconds: n })),
    },
    invoicesIssued: invoices && {
      total: invoices.length,
      items: invoices.slice(0, MAX_ITEMS).map((i) => ({
        id: i.id,
        number: i.number,
        clientName: i.clientName,
        total: i.total,
        currency: i.currency,
        status: i.status,
        at: i.issued_at!,
      })),
    },
    days: [...days.values()],
  };
}

/** Nothing worth a message: every section the viewer may see is empty. */
export function isQuiet(a: Activity) {
  return !a.tasksCreated?.total && !a.tasksCompleted?.total && !a.comments?.total && !a.hours?.seconds && !a.invoicesIssued?.total;
}
