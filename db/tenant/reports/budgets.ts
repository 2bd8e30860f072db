import { sql } from "kysely";
import { tenantDb } from "../context";
import { projectVisible } from "../visibility";
import { scopedEntries, total, SECONDS, type ReportScope } from "./scope";

export interface BudgetRow {
  projectId: string;
  projectName: string;
  clientName: string;
  budgetSeconds: number;
  trackedSeconds: number;
  /** Tracked as a share of the budget, in whole percent (rounded down, so 99.9 % is not "100 %"). */
  percent: number;
  overBudget: boolean;
}

/**
 * Budget burn of every visible, unarchived project that has a budget: tracked time of all time
 * (within the scope's member and filter rules) against the budget, most burnt first.
 */
export async function budgetReport(scope: ReportScope): Promise<BudgetRow[]> {
  // Only the projects listed below are summed: an all-time sum is the expensive part.
  const tracked = scopedEntries({ ...scope, startMs: undefined, endMs: undefined })
    .where("projects.budget_seconds", "is not", null)
    .where("projects.archived_at", "is", null)
    .select(["time_entries.project_id", total(SECONDS).as("seconds")])
    .groupBy("time_entries.project_id")
    .as("tracked");
  let q = tenantDb()
    .selectFrom("projects")
    .innerJoin("clients", "clients.id", "projects.client_id")
    .leftJoin(tracked, "tracked.project_id", "projects.id")
    .select([
      "projects.id",
      "projects.name",
      "clients.name as client_name",
      "projects.budget_seconds",
      sql<number>`coalesce(tracked.seconds, 0)`.as("seconds"),
    ])
    .where(projectVisible("projects.id"))
    .where("projects.archived_at", "is", null)
    .where("projects.budget_seconds", "is not", null);
  if (scope.projectId !== undefined) q = q.where("projects.id", "=", scope.projectId);
  if (scope.clientId !== undefined) q = q.where("projects.client_id", "=", scope.clientId);
  const rows = await q.execute();
  return rows
    .map((r) => {
      const budget = Number(r.budget_seconds);
      const seconds = Number(r.seconds);
      return {
        projectId: r.id,
        projectName: r.name,
        clientName: r.client_name,
        budgetSeconds: budget,
        trackedSeconds: seconds,
        // A zero budget is spent by any time at all.
        percent: budget > 0 ? Math.floor((seconds * 100) / budget) : seconds > 0 ? 100 : 0,
        overBudget: seconds > budget,
      };
    })
    .sort((a, b) => b.percent - a.percent || b.trackedSeconds - a.trackedSeconds || a.projectName.localeCompare(b.projectName));
}
