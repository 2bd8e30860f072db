import { sql } from "kysely";
import { tenantDb } from "../context";
import { projectVisible } from "../visibility";
import { scopedEntryRows, total, AMOUNT, SECONDS, type ReportScope } from "./scope";

/** Tracked seconds and billable amount of the scope, in one row. */
export async function scopeTotals(scope: ReportScope): Promise<{ seconds: number; amount: number }> {
  const row = await scopedEntryRows(scope)
    .select([total(SECONDS).as("seconds"), total(AMOUNT).as("amount")])
    .executeTakeFirstOrThrow();
  return { seconds: Number(row.seconds), amount: Number(row.amount) };
}

/** Visible projects that are active and not archived. */
export async function activeProjectCount(): Promise<number> {
  const row = await tenantDb()
    .selectFrom("projects")
    .select(sql<number>`count(*)`.as("n"))
    .where(projectVisible("projects.id"))
    .where("projects.status", "=", "active")
    .where("projects.archived_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
