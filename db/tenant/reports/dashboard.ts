import { sql } from "kysely";
import { tenantDb } from "../context";
import { projectVisible } from "../visibility";
import { scopedEntryRows, total, AMOUNT, SECONDS, entryCurrency, type ReportScope } from "./scope";

/**
 * Tracked seconds and billable amount of the scope, in one row. The amount is in the organisation's
 * currency only: time invoiced in another (files whose currency changed before ADR 017) is not added in.
 */
export async function scopeTotals(scope: ReportScope, orgCurrency: string): Promise<{ seconds: number; amount: number }> {
  const row = await scopedEntryRows(scope)
    .select([
      total(SECONDS).as("seconds"),
      total(sql<number>`case when ${entryCurrency(orgCurrency)} = ${orgCurrency} then ${AMOUNT} else 0 end`).as("amount"),
    ])
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
