import { toCsv } from "../audit/csv";
import { majorUnits } from "../../app/lib/money";
import type { ReportResults } from "./reports";

/**
 * Reports as spreadsheet tables. Hours are decimal hours with two places and exact seconds beside
 * them; money is in major units with the currency's own number of decimals, computed from the
 * integer minor units (no floating point). Every cell goes through csvCell, so a client or project
 * named "=HYPERLINK(…)" arrives as text, not as a formula.
 */

interface Table {
  header: readonly string[];
  rows: unknown[][];
  csv(): string;
}

const table = (header: readonly string[], rows: unknown[][]): Table => ({ header, rows, csv: () => toCsv(header, rows) });

const hours = (seconds: number) => (seconds / 3600).toFixed(2);
const percent = (ratio: number | null) => (ratio === null ? "" : (ratio * 100).toFixed(1));

/** Without rates the answer's amounts are null: the CSV then has no amount or currency columns at all. */
const moneyColumns = (amount: number | null, currency: string) => (amount === null ? [] : [majorUnits(amount, currency), currency]);
const moneyHeader = (amount: number | null) => (amount === null ? [] : ["amount", "currency"]);

const GROUP_HEADER = { client: "client", project: "project", member: "member", week: "week_starting", month: "month" } as const;

export const reportTable = {
  hours(r: ReportResults["hours"]) {
    const period = r.groupBy === "week" || r.groupBy === "month";
    const header = [
      GROUP_HEADER[r.groupBy],
      ...(r.groupBy === "project" ? ["client"] : []),
      ...(period ? ["from", "to"] : []),
      "hours",
      "billable_hours",
      "seconds",
      "billable_seconds",
      ...moneyHeader(r.totals.amount),
    ];
    const rows = r.rows.flatMap((row) => {
      const group = [row.label, ...(r.groupBy === "project" ? [row.clientName] : []), ...(period ? [row.from, row.to] : [])];
      return [
        [
          ...group,
          hours(row.seconds),
          hours(row.billableSeconds),
          row.seconds,
          row.billableSeconds,
          ...moneyColumns(row.amount, r.currency),
        ],
        // Time invoiced in another currency (ADR 017): a row of its own, its hours already counted above.
        ...(row.amount === null ? [] : row.otherAmounts).map((o) => [
          ...group,
          "",
          "",
          "",
          "",
          majorUnits(o.amount, o.currency),
          o.currency,
        ]),
      ];
    });
    return table(header, rows);
  },
  budgets(r: ReportResults["budgets"]) {
    return table(
      ["project", "client", "budget_hours", "tracked_hours", "percent_used", "over_budget"],
      r.rows.map((row) => [
        row.projectName,
        row.clientName,
        hours(row.budgetSeconds),
        hours(row.trackedSeconds),
        row.percent,
        row.overBudget ? "yes" : "no",
      ]),
    );
  },
  utilisation(r: ReportResults["utilisation"]) {
    return table(
      ["member", "tracked_hours", "billable_hours", "billable_percent", "tracked_seconds", "billable_seconds"],
      r.rows.map((row) => [
        row.name,
        hours(row.trackedSeconds),
        hours(row.billableSeconds),
        percent(row.billableRatio),
        row.trackedSeconds,
        row.billableSeconds,
      ]),
    );
  },
  unbilled(r: ReportResults["unbilled"]) {
    return table(
      ["client", "project", "entries", "hours", "seconds", ...moneyHeader(r.totals.amount)],
      r.rows.map((row) => [
        row.clientName,
        row.projectName,
        row.entries,
        hours(row.seconds),
        row.seconds,
        ...moneyColumns(row.amount, r.currency),
      ]),
    );
  },
  financials(r: ReportResults["financials"]) {
    return table(
      [
        "project",
        "client",
        "archived",
        "currency",
        "hourly_rate",
        "budget_hours",
        "billable_amount",
        "unbilled_amount",
        "draft_amount",
        "invoiced_amount",
        "paid_amount",
      ],
      r.rows.map((row) => [
        row.projectName,
        row.clientName,
        row.archived ? "yes" : "no",
        row.currency,
        // The project's rate is in the organisation's currency; a row of legacy time invoiced in another has none to show.
        row.currency === r.currency ? majorUnits(row.hourlyRate, r.currency) : "",
        row.budgetSeconds === null ? "" : hours(row.budgetSeconds),
        majorUnits(row.billableAmount, row.currency),
        majorUnits(row.unbilledAmount, row.currency),
        majorUnits(row.draftAmount, row.currency),
        majorUnits(row.invoicedAmount, row.currency),
        majorUnits(row.paidAmount, row.currency),
      ]),
    );
  },
};
