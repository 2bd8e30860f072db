import { sql } from "kysely";
import { tenantDb } from "../context";
import { projectVisible } from "../visibility";
import { scopedEntryRows, total, AMOUNT, type ReportScope } from "./scope";

export interface FinancialsRow {
  projectId: string;
  projectName: string;
  clientName: string;
  archived: boolean;
  hourlyRate: number;
  budgetSeconds: number | null;
  /** Minor units: what all billable time bills, then split into not yet invoiced and invoiced. */
  billableAmount: number;
  unbilledAmount: number;
  invoicedAmount: number;
}

/** Money per visible project: the project's rate and budget, and what its time bills (in the scope's range, or all time). */
export async function financialsReport(scope: ReportScope): Promise<FinancialsRow[]> {
  const sums = scopedEntryRows(scope)
    .select([
      "time_entries.project_id",
      total(AMOUNT).as("billable"),
      total(sql<number>`case when time_entries.invoice_id is null then ${AMOUNT} else 0 end`).as("unbilled"),
      total(sql<number>`case when time_entries.invoice_id is not null then ${AMOUNT} else 0 end`).as("invoiced"),
    ])
    .groupBy("time_entries.project_id")
    .as("sums");
  let q = tenantDb()
    .selectFrom("projects")
    .innerJoin("clients", "clients.id", "projects.client_id")
    .leftJoin(sums, "sums.project_id", "projects.id")
    .select([
      "projects.id",
      "projects.name",
      "clients.name as client_name",
      "projects.archived_at",
      "projects.hourly_rate",
      "projects.budget_seconds",
      sql<number>`coalesce(sums.billable, 0)`.as("billable"),
      sql<number>`coalesce(sums.unbilled, 0)`.as("unbilled"),
      sql<number>`coalesce(sums.invoiced, 0)`.as("invoiced"),
    ])
    .where(projectVisible("projects.id"))
    // Archived projects only while they still carry money worth seeing.
    .where((eb) => eb.or([eb("projects.archived_at", "is", null), eb("sums.billable", ">", 0)]))
    .orderBy("projects.name")
    .orderBy("projects.id");
  if (scope.projectId !== undefined) q = q.where("projects.id", "=", scope.projectId);
  if (scope.clientId !== undefined) q = q.where("projects.client_id", "=", scope.clientId);
  const rows = await q.execute();
  return rows.map((r) => ({
    projectId: r.id,
    projectName: r.name,
    clientName: r.client_name,
    archived: r.archived_at !== null,
    hourlyRate: r.hourly_rate,
    budgetSeconds: r.budget_seconds,
    billableAmount: Number(r.billable),
    unbilledAmount: Number(r.unbilled),
    invoicedAmount: Number(r.invoiced),
  }));
}
