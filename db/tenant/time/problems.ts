import { sql } from "kysely";
import { tenantDb } from "../context";
import { ENDS_BEFORE_START } from "../migrations/0017_time_entries_positive";
import { projectVisible } from "../visibility";

/** Why an entry needs fixing: it ends before it starts, or its date is outside the years this instance accepts. */
export type EntryProblem = typeof ENDS_BEFORE_START | "outside_years";

/** The flag an entry row deserves (migration 0017's rule), for rows that arrive from outside the API. */
export function entryProblem(row: Record<string, unknown>): string | null {
  const {
    started_at: s,
    ended_at: e,
    duration_seconds: d,
  } = row as { started_at: number; ended_at: number | null; duration_seconds: number };
  return e !== null && (e <= s || d <= 0) ? ENDS_BEFORE_START : null;
}

/**
 * Entries the organisation must fix, in projects the caller can see: flagged ones, and those that
 * start outside [earliest, latest) (the configured years, as instants in the organisation's zone).
 */
export function entriesToFix(bounds: { earliest: number; latest: number }, memberId: string | undefined, limit: number) {
  const problem = sql<EntryProblem>`case when time_entries.problem is not null then time_entries.problem else 'outside_years' end`;
  return tenantDb()
    .selectFrom("time_entries")
    .innerJoin("projects", "projects.id", "time_entries.project_id")
    .leftJoin("members", "members.user_id", "time_entries.member_id")
    .select([
      "time_entries.id",
      "time_entries.member_id",
      "members.name as member_name",
      "projects.name as project_name",
      "time_entries.started_at",
      "time_entries.ended_at",
      "time_entries.duration_seconds",
      "time_entries.invoice_id",
      problem.as("problem"),
    ])
    .where(projectVisible("time_entries.project_id"))
    .$if(memberId !== undefined, (q) => q.where("time_entries.member_id", "=", memberId!))
    .where((eb) =>
      eb.or([
        eb("time_entries.problem", "is not", null),
        eb("time_entries.started_at", "<", bounds.earliest),
        eb("time_entries.started_at", ">=", bounds.latest),
      ]),
    )
    .orderBy("time_entries.started_at")
    .orderBy("time_entries.id")
    .limit(limit)
    .execute();
}
