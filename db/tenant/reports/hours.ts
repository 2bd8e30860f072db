import { sql, type RawBuilder } from "kysely";
import type { Period } from "./periods";
import { tenantDb } from "../context";
import { scopedEntryRows, totals, BILLING_CLIENT, entryCurrency, type ReportScope } from "./scope";

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
  /** Minor units of the organisation's currency. */
  amount: number;
  /**
   * Time invoiced in another currency (only in files whose currency changed before ADR 017): kept
   * apart, never added into `amount`. Empty otherwise.
   */
  otherAmounts: CurrencyAmount[];
}

export interface CurrencyAmount {
  currency: string;
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
  otherAmounts?: CurrencyAmount[];
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
  otherAmounts: r.otherAmounts ?? [],
});

type BySum = { key: string | number; currency: string; seconds: number; billable_seconds: number; amount: number };

/**
 * Rows summed per group and currency → one row per group: hours add up across currencies, money
 * does not (the organisation's currency in `amount`, any other apart, ADR 017).
 */
function perGroup<R extends BySum>(rows: R[], orgCurrency: string): (R & { otherAmounts: CurrencyAmount[] })[] {
  const out = new Map<string | number, R & { otherAmounts: CurrencyAmount[] }>();
  for (const r of rows) {
    const g = out.get(r.key) ?? { ...r, seconds: 0, billable_seconds: 0, amount: 0, currency: orgCurrency, otherAmounts: [] };
    g.seconds = Number(g.seconds) + Number(r.seconds);
    g.billable_seconds = Number(g.billable_seconds) + Number(r.billable_seconds);
    if (r.currency === orgCurrency) g.amount = Number(g.amount) + Number(r.amount);
    else if (Number(r.amount) !== 0) g.otherAmounts.push({ currency: r.currency, amount: Number(r.amount) });
    out.set(r.key, g);
  }
  return [...out.values()];
}

/** Hours and billable amount by period: every period of the range, empty ones as zeros (a chart needs the gaps). */
async function byPeriod(scope: ReportScope, periods: Period[], orgCurrency: string): Promise<HoursRow[]> {
  const sums = await scopedEntryRows(scope)
    .select([
      periodIndex(periods, sql<number>`time_entries.started_at`).as("key"),
      entryCurrency(orgCurrency).as("currency"),
      sql<null>`null`.as("label"),
      sql<null>`null`.as("client_name"),
      ...totals(),
    ])
    .groupBy([sql`1`, sql`2`])
    .execute();
  const rows = perGroup(sums, orgCurrency);
  const found = new Map(rows.map((r) => [Number(r.key), r]));
  const empty: Raw = { key: 0, label: null, client_name: null, seconds: 0, billable_seconds: 0, amount: 0 };
  return periods.map((p, i) => toRow(found.get(i) ?? empty, p.key, p.key, p));
}

/**
 * Hours (seconds) and billable amount (minor units) of the scope. The entries are summed in SQL by
 * an entry column alone (project or member), and only then named: a month holds tens of thousands
 * of entries but a few dozen groups, so names are looked up per group, not per entry.
 */
export async function hoursReport(scope: ReportScope, groupBy: HoursGroupBy, periods: Period[], orgCurrency: string): Promise<HoursRow[]> {
  if (groupBy === "week" || groupBy === "month") return byPeriod(scope, periods, orgCurrency);
  const currency = entryCurrency(orgCurrency).as("currency");
  let rows: HoursRow[];
  if (groupBy === "member") {
    const sums = perGroup(
      await scopedEntryRows(scope)
        .select(["time_entries.member_id as key", currency, ...totals()])
        .groupBy(["time_entries.member_id", sql`2`])
        .execute(),
      orgCurrency,
    );
    const keys = sums.map((r) => r.key);
    const names = keys.length
      ? await tenantDb().selectFrom("members").select(["user_id", "name"]).where("user_id", "in", keys).execute()
      : [];
    const nameOf = new Map(names.map((m) => [m.user_id, m.name]));
    // Entries outlive a member's removal: their time still counts, under a plain label.
    rows = sums.map((r) => toRow({ ...r, label: null, client_name: null }, r.key, nameOf.get(r.key) ?? "Former member"));
  } else if (groupBy === "client") {
    // By the client the money belongs to: invoiced time stays with its invoice's client when a project moves.
    const sums = perGroup(
      await scopedEntryRows(scope)
        .select([BILLING_CLIENT.as("key"), currency, ...totals()])
        .groupBy([sql`1`, sql`2`])
        .execute(),
      orgCurrency,
    );
    const keys = sums.map((r) => r.key);
    const names = keys.length ? await tenantDb().selectFrom("clients").select(["id", "name"]).where("id", "in", keys).execute() : [];
    const nameOf = new Map(names.map((c) => [c.id, c.name]));
    rows = sums.map((r) => toRow({ ...r, label: null, client_name: null }, r.key, nameOf.get(r.key) ?? ""));
  } else {
    const sums = perGroup(
      await scopedEntryRows(scope)
        .select(["time_entries.project_id as key", currency, ...totals()])
        .groupBy(["time_entries.project_id", sql`2`])
        .execute(),
      orgCurrency,
    );
    const keys = sums.map((r) => r.key);
    const projects = keys.length
      ? await tenantDb()
          .selectFrom("projects")
          .innerJoin("clients", "clients.id", "projects.client_id")
          .select(["projects.id", "projects.name", "clients.name as client_name"])
          .where("projects.id", "in", keys)
          .execute()
      : [];
    const projectOf = new Map(projects.map((p) => [p.id, p]));
    rows = sums.map((r) => {
      const p = projectOf.get(r.key)!;
      return toRow({ ...r, label: p.name, client_name: p.client_name }, r.key, p.name);
    });
  }
  return rows.sort((a, b) => b.seconds - a.seconds || a.label.localeCompare(b.label) || a.key.localeCompare(b.key));
}
