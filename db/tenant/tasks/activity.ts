import { sql } from "kysely";
import { tenantDb } from "../context";

/**
 * Timelines read the audit log. Task and comment rows record `project_id` and `task_id` in their
 * detail, so deleted tasks and comments stay on the timeline; the expression indexes audit_log_project
 * and audit_log_task (migration 0003) serve `json_extract(detail, '$.project_id' | '$.task_id')`,
 * which must be written exactly so (a literal path, not a bound parameter).
 * Callers check that the project or task is visible first; these functions do not filter again.
 */
const projectOf = sql<string | null>`json_extract(audit_log.detail, '$.project_id')`;
const taskOf = sql<string | null>`json_extract(audit_log.detail, '$.task_id')`;

/** What a timeline shows: who did what when. Not the IP address or user agent (those are for auditors). */
export interface ActivityEntry {
  id: number;
  at: number;
  actorKind: string;
  actorId: string | null;
  actorName: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  detail: Record<string, unknown>;
}

function entries() {
  return tenantDb()
    .selectFrom("audit_log")
    .leftJoin("members", "members.user_id", "audit_log.actor_id")
    .select([
      "audit_log.id",
      "audit_log.at",
      "audit_log.actor_kind",
      "audit_log.actor_id",
      "members.name as actor_name",
      "audit_log.action",
      "audit_log.target_type",
      "audit_log.target_id",
      "audit_log.detail",
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof entries>["execute"]>>[number];

function parseDetail(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function toEntry(r: Row): ActivityEntry {
  return {
    id: r.id,
    at: r.at,
    actorKind: r.actor_kind,
    actorId: r.actor_id,
    actorName: r.actor_name ?? null,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    detail: parseDetail(r.detail),
  };
}

export interface Page {
  limit: number;
  /** Rows with a smaller id than this come next (older). */
  cursor?: number;
}

async function page(q: ReturnType<typeof entries>, p: Page) {
  if (p.cursor !== undefined) q = q.where("audit_log.id", "<", p.cursor);
  const rows = await q
    .orderBy("audit_log.id", "desc")
    .limit(p.limit + 1)
    .execute();
  const items = rows.slice(0, p.limit).map(toEntry);
  return { items, nextCursor: rows.length > p.limit ? items[items.length - 1]!.id : null };
}

/** A project's own rows and the rows of its tasks and their comments, newest first. */
export function projectTimeline(projectId: string, p: Page) {
  const q = entries().where((eb) =>
    eb.or([
      eb.and([eb("audit_log.target_type", "=", "project"), eb("audit_log.target_id", "=", projectId)]),
      eb.and([eb(projectOf, "=", projectId), eb("audit_log.target_type", "in", ["task", "comment"])]),
    ]),
  );
  return page(q, p);
}

/** A task's rows and its comments' rows (both record task_id), newest first. */
export function taskTimeline(taskId: string, p: Page) {
  return page(entries().where(taskOf, "=", taskId).where("audit_log.target_type", "in", ["task", "comment"]), p);
}
