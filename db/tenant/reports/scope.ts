import { sql, type RawBuilder } from "kysely";
import { tenantDb } from "../context";
import { projectVisible } from "../visibility";

/**
 * Which time entries a report may count. Every report query starts from `scopedEntries`, so the two
 * rules that keep figures honest live in one place: only projects the caller may see, and only the
 * caller's own entries unless their role reads everyone's time.
 */
export interface ReportScope {
  /** Set when the caller lacks time.read.all: they are shown their own entries only. */
  ownMemberId: string | null;
  /** Entries that start in [startMs, endMs); both unset means all time. */
  startMs?: number;
  endMs?: number;
  clientId?: string;
  projectId?: string;
  memberId?: string;
}

/**
 * Finished entries (a running timer has no duration yet) of visible projects. Visibility is a
 * non-correlated `project_id in (visible projects)`: SQLite computes the list once, then range-scans
 * time_entries_report (project_id, started_at, …) per project, or time_entries_member_start when
 * the scope names one member. No join: grouping by an entry column then costs no lookup per row.
 */
export function scopedEntryRows(s: ReportScope) {
  let q = tenantDb()
    .selectFrom("time_entries")
    .where("time_entries.project_id", "in", (eb) => {
      let visible = eb.selectFrom("projects as vis").select("vis.id").where(projectVisible("vis.id"));
      if (s.clientId !== undefined) visible = visible.where("vis.client_id", "=", s.clientId);
      return visible;
    })
    .where("time_entries.ended_at", "is not", null);
  if (s.ownMemberId !== null) q = q.where("time_entries.member_id", "=", s.ownMemberId);
  if (s.memberId !== undefined) q = q.where("time_entries.member_id", "=", s.memberId);
  if (s.projectId !== undefined) q = q.where("time_entries.project_id", "=", s.projectId);
  if (s.startMs !== undefined) q = q.where("time_entries.started_at", ">=", s.startMs);
  if (s.endMs !== undefined) q = q.where("time_entries.started_at", "<", s.endMs);
  return q;
}

/** The same entries joined to their project, for reports that read project columns. */
export function scopedEntries(s: ReportScope) {
  return scopedEntryRows(s).innerJoin("projects", "projects.id", "time_entries.project_id");
}

/**
 * What a billable entry bills, in minor units: round(seconds × rate / 3600), half up, in integer
 * arithmetic (seconds ≤ 86,400 and rates ≤ 10^8, so the product stays far inside 64 bits).
 */
export const AMOUNT = sql<number>`case when time_entries.billable = 1 then (time_entries.duration_seconds * time_entries.hourly_rate + 1800) / 3600 else 0 end`;

export const SECONDS = sql<number>`time_entries.duration_seconds`;
export const BILLABLE_SECONDS = sql<number>`case when time_entries.billable = 1 then time_entries.duration_seconds else 0 end`;

export const total = (e: RawBuilder<number>) => sql<number>`coalesce(sum(${e}), 0)`;

/** The aggregate columns every hours-like report returns. */
export const totals = () =>
  [total(SECONDS).as("seconds"), total(BILLABLE_SECONDS).as("billable_seconds"), total(AMOUNT).as("amount")] as const;
