import { sql } from "kysely";
import { tenantDb } from "../context";
import { projectVisible } from "../visibility";
import { scopedEntryRows, total, AMOUNT, BILLING_CLIENT, INVOICE_STATUS, entryCurrency, type ReportScope } from "./scope";

/**
 * One row per project, client and currency. Amounts are minor units of `currency`, each the sum of
 * the entries' own rounded amounts (ADR 017), split by where the time stands:
 * billable = unbilled + draft + invoiced, and paid is the part of invoiced whose invoice is paid in full.
 */
export interface FinancialsRow {
  projectId: string;
  projectName: string;
  /** The client the money belongs to: the invoice's for invoiced time, else the project's. */
  clientId: string;
  clientName: string;
  archived: boolean;
  currency: string;
  /** The project's current rate, in the organisation's currency. */
  hourlyRate: number;
  budgetSeconds: number | null;
  billableAmount: number;
  unbilledAmount: number;
  /** On a draft: not invoiced yet, and not counted as such. */
  draftAmount: number;
  /** On an issued invoice (paid or not); a void invoice gave its time back to unbilled. */
  invoicedAmount: number;
  paidAmount: number;
}

export type FinancialsTotals = Pick<
  FinancialsRow,
  "currency" | "billableAmount" | "unbilledAmount" | "draftAmount" | "invoicedAmount" | "paidAmount"
>;

const when = (cond: ReturnType<typeof sql<boolean>>) => total(sql<number>`case when ${cond} then ${AMOUNT} else 0 end`);

/** Money per visible project (in the scope's range, or all time), by the client it belongs to and its currency. */
export async function financialsReport(scope: ReportScope, orgCurrency: string): Promise<FinancialsRow[]> {
  const sums = await scopedEntryRows(scope)
    .select([
      "time_entries.project_id",
      BILLING_CLIENT.as("client_id"),
      entryCurrency(orgCurrency).as("currency"),
      total(AMOUNT).as("billable"),
      when(sql<boolean>`time_entries.invoice_id is null`).as("unbilled"),
      when(sql<boolean>`${INVOICE_STATUS} = 'draft'`).as("draft"),
      when(sql<boolean>`${INVOICE_STATUS} in ('issued', 'paid')`).as("invoiced"),
      when(sql<boolean>`${INVOICE_STATUS} = 'paid'`).as("paid"),
    ])
    .groupBy(["time_entries.project_id", sql`2`, sql`3`])
    .execute();
  let q = tenantDb()
    .selectFrom("projects")
    .select([
      "projects.id",
      "projects.name",
      "projects.client_id",
      "projects.archived_at",
      "projects.hourly_rate",
      "projects.budget_seconds",
    ])
    .where(projectVisible("projects.id"));
  if (scope.projectId !== undefined) q = q.where("projects.id", "=", scope.projectId);
  const projects = new Map((await q.execute()).map((p) => [p.id, p]));

  const rows: Omit<FinancialsRow, "clientName">[] = [];
  const withMoney = new Set<string>();
  for (const s of sums) {
    const p = projects.get(s.project_id);
    if (!p) continue;
    withMoney.add(s.project_id);
    rows.push({
      projectId: p.id,
      projectName: p.name,
      clientId: s.client_id,
      archived: p.archived_at !== null,
      currency: s.currency,
      hourlyRate: p.hourly_rate,
      budgetSeconds: p.budget_seconds,
      billableAmount: Number(s.billable),
      unbilledAmount: Number(s.unbilled),
      draftAmount: Number(s.draft),
      invoicedAmount: Number(s.invoiced),
      paidAmount: Number(s.paid),
    });
  }
  // Unarchived projects without time in the scope still get a row (of zeros): their rate and budget are worth seeing.
  for (const p of projects.values()) {
    if (withMoney.has(p.id) || p.archived_at !== null) continue;
    if (scope.clientId !== undefined && p.client_id !== scope.clientId) continue;
    rows.push({
      projectId: p.id,
      projectName: p.name,
      clientId: p.client_id,
      archived: false,
      currency: orgCurrency,
      hourlyRate: p.hourly_rate,
      budgetSeconds: p.budget_seconds,
      billableAmount: 0,
      unbilledAmount: 0,
      draftAmount: 0,
      invoicedAmount: 0,
      paidAmount: 0,
    });
  }
  const clientIds = [...new Set(rows.map((r) => r.clientId))];
  const names = clientIds.length
    ? await tenantDb().selectFrom("clients").select(["id", "name"]).where("id", "in", clientIds).execute()
    : [];
  const nameOf = new Map(names.map((c) => [c.id, c.name]));
  return rows
    .filter((r) => !r.archived || r.billableAmount > 0)
    .map((r) => ({ ...r, clientName: nameOf.get(r.clientId) ?? "" }))
    .sort(
      (a, b) =>
        a.projectName.localeCompare(b.projectName) ||
        a.projectId.localeCompare(b.projectId) ||
        a.clientName.localeCompare(b.clientName) ||
        a.currency.localeCompare(b.currency),
    );
}

/** Totals per currency, the organisation's first: amounts in different currencies are never added. */
export function financialsTotals(rows: FinancialsRow[], orgCurrency: string): FinancialsTotals[] {
  const by = new Map<string, FinancialsTotals>([[orgCurrency, zero(orgCurrency)]]);
  for (const r of rows) {
    const t = by.get(r.currency) ?? zero(r.currency);
    t.billableAmount += r.billableAmount;
    t.unbilledAmount += r.unbilledAmount;
    t.draftAmount += r.draftAmount;
    t.invoicedAmount += r.invoicedAmount;
    t.paidAmount += r.paidAmount;
    by.set(r.currency, t);
  }
  return [...by.values()];
}

const zero = (currency: string): FinancialsTotals => ({
  currency,
  billableAmount: 0,
  unbilledAmount: 0,
  draftAmount: 0,
  invoicedAmount: 0,
  paidAmount: 0,
});
