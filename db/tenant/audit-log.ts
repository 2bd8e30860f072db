import { sql } from "kysely";
import { tenantDb } from "./context";
import type { AuditLogTable } from "./schema";

/**
 * Reading the tenant audit log. There is deliberately nothing here that updates or deletes: the log
 * is append-only (server/audit/audit.ts writes it; the file refuses UPDATE with a trigger).
 */
export interface AuditFilter {
  actorId?: string;
  actorKind?: AuditLogTable["actor_kind"];
  /** Exact action name, e.g. "client.create". */
  action?: string;
  /** Actions starting with this text, e.g. "client.". Matched literally (no wildcards). */
  actionPrefix?: string;
  targetType?: string;
  targetId?: string;
  /** Inclusive bounds, ms since the epoch (UTC). */
  from?: number;
  to?: number;
}

export interface AuditEntry {
  id: number;
  at: number;
  actorKind: AuditLogTable["actor_kind"];
  actorId: string | null;
  /** The member's name in this organisation, when the actor is (or was recorded as) a member. */
  actorName: string | null;
  ip: string | null;
  userAgent: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  detail: Record<string, unknown>;
}

function parseDetail(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
    return { value };
  } catch {
    return { raw: text };
  }
}

function filtered(f: AuditFilter) {
  let q = tenantDb()
    .selectFrom("audit_log")
    .leftJoin("members", "members.user_id", "audit_log.actor_id")
    .select([
      "audit_log.id",
      "audit_log.at",
      "audit_log.actor_kind",
      "audit_log.actor_id",
      "audit_log.ip",
      "audit_log.user_agent",
      "audit_log.action",
      "audit_log.target_type",
      "audit_log.target_id",
      "audit_log.detail",
      "members.name as actor_name",
    ]);
  if (f.actorId !== undefined) q = q.where("audit_log.actor_id", "=", f.actorId);
  if (f.actorKind !== undefined) q = q.where("audit_log.actor_kind", "=", f.actorKind);
  if (f.action !== undefined) q = q.where("audit_log.action", "=", f.action);
  // substr, not LIKE: "_" and "%" in the prefix are literal characters, not wildcards.
  if (f.actionPrefix !== undefined) {
    q = q.where(sql<string>`substr(audit_log.action, 1, ${f.actionPrefix.length})`, "=", f.actionPrefix);
  }
  if (f.targetType !== undefined) q = q.where("audit_log.target_type", "=", f.targetType);
  if (f.targetId !== undefined) q = q.where("audit_log.target_id", "=", f.targetId);
  if (f.from !== undefined) q = q.where("audit_log.at", ">=", f.from);
  if (f.to !== undefined) q = q.where("audit_log.at", "<=", f.to);
  // Ids only grow (append-only, AUTOINCREMENT), so id order is insertion order and a stable cursor.
  return q.orderBy("audit_log.id", "desc");
}

type Row = Awaited<ReturnType<ReturnType<typeof filtered>["execute"]>>[number];

function toEntry(r: Row): AuditEntry {
  return {
    id: r.id,
    at: r.at,
    actorKind: r.actor_kind,
    actorId: r.actor_id,
    actorName: r.actor_name ?? null,
    ip: r.ip,
    userAgent: r.user_agent,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    detail: parseDetail(r.detail),
  };
}

/** One page, newest first; `nextCursor` is the id to pass as `cursor` for the next (older) page. */
export async function listAuditLog(filter: AuditFilter, page: { limit: number; cursor?: number }) {
  let q = filtered(filter).limit(page.limit + 1);
  if (page.cursor !== undefined) q = q.where("audit_log.id", "<", page.cursor);
  const rows = await q.execute();
  const items = rows.slice(0, page.limit).map(toEntry);
  const nextCursor = rows.length > page.limit ? items[items.length - 1]!.id : null;
  return { items, nextCursor };
}

/** Every matching row, newest first, or `null` when more than `max` match (the caller refuses). */
export async function exportAuditLog(filter: AuditFilter, max: number): Promise<AuditEntry[] | null> {
  const rows = await filtered(filter)
    .limit(max + 1)
    .execute();
  if (rows.length > max) return null;
  return rows.map(toEntry);
}
