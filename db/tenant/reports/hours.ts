import { sql, type RawBuilder } from "kysely";
import type { Period } from "./periods";
import { scopedEntries, totals, type ReportScope } from "./scope";

export type HoursGroupBy = "client" | "project" | "member" | "week" | "month";

export interface HoursRow {
  /** Client, project or member id; the week's first date or the month ("2024-05") for periods. */
  key: string;
  label: string;
  /** The project's client, when grouping by project. */
  clientName: string | null;
  /** The period's first and last date (clipped to the range), when grouping by week or month. */
  from: string | null;
  to: string | null;
  seconds: number;
  billableSeconds: number;
  amount: number;
}

/**
 * The index of the period an instant falls in, as a balanced CASE tree over the boundaries: about
 * log2(n) comparisons a row, so a three-year range by week (157 buckets) costs 8, not 157.
 */
function periodIndex(periods: Period[], column: RawBuilder<number>, lo = 0, hi = periods.length): RawBuilder<number> {
  if (hi - lo <= 1) return sql<number>`${sql.lit(lo)}`;
  const mid = (lo + hi) >> 1;
  return sql<number>`(case when ${column} < ${periods[mid]!.startMs} then ${periodIndex(periods, column, lo, mid)} else ${periodIndex(periods, column, mid, hi)} end)`;
}

interface Raw {
  key: string | number;
  label: string | null;
  client_name: string | null;
  seconds: number;
  billable_seconds: number;
  amount: number;
}

const toRow = (r: Raw, key: string, label: string, period?: Period): HoursRow => ({
  key,
  label,
  clientName: r.client_name,
  from: period?.from ?? null,
  to: period?.to ?? null,
  seconds: Number(r.seconds),
  billableSeconds: Number(r.billable_seconds),
  amount: Number(r.amount),
});

/** Hours and billable amount by period: every period of the range, empty ones as zeros (a chart needs the gaps). */
async function byPeriod(scope: ReportScope, periods: Period[]): Promise<HoursRow[]> {
  const rows = (await scopedEntries(scope)
    .select([periodIndex(periods, sql<number>`time_entries.started_at`).as("key"), sql<null>`null`.as("label"), sql<null>`null`.as("client_name"), ...totals()])
    .groupBy(sql`1`)
    .execute()) as Raw[];
  const found = new Map(rows.map((r) => [Number(r.key), r]));
  const empty: Raw = { key: 0, label: null, client_name: null, seconds: 0, billable_seconds: 0, amount: 0 };
  return periods.map((p, i) => toRow(found.get(i) ?? empty, p.key, p.key, p));
}

/** Hours (seconds) and billable amount (minor units) of the scope, grouped in SQL. */
export async function hoursReport(scope: ReportScope, groupBy: HoursGroupBy, periods: Period[]): Promise<HoursRow[]> {
  if (groupBy === "week" || groupBy === "month") return byPeriod(scope, periods);
  const base = scopedEntries(scope);
  let rows: Raw[];
  if (groupBy === "client") {
    rows = await base
      .innerJoin("clients", "clients.id", "projects.client_id")
      .select(["projects.client_id as key", "clients.name as label", sql<null>`null`.as("client_name"), ...totals()])
      .groupBy("projects.client_id")
      .execute();
  } else if (groupBy === "project") {
    rows = await base
      .innerJoin("clients", "clients.id", "projects.client_id")
      .select(["time_entries.project_id as key", "projects.name as label", "clients.name as client_name", ...totals()])
      .groupBy("time_entries.project_id")
      .execute();
  } else {
    rows = await base
      .leftJoin("members", "members.user_id", "time_entries.member_id")
      .select(["time_entries.member_id as key", "members.name as label", sql<null>`null`.as("client_name"), ...totals()])
      .groupBy("time_entries.member_id")
      .execute();
  }
  // Entries outlive a member's removal: their time still counts, under a plain label.
  return rows
    .map((r) => toRow(r, String(r.key), r.label ?? "Former member"))
    .sort((a, b) => b.seconds - a.seconds || a.label.localeCompare(b.label) || a.key.localeCompare(b.key));
}
