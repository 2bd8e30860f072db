import { tenantDb } from "../context";
import { AMOUNT } from "../reports/scope";
import { projectVisible } from "../visibility";

/** A client's time in [fromMs, toMs), by start instant: the bounds are days in the organisation's zone. */
export interface UnbilledScope {
  clientId: string;
  fromMs: number;
  toMs: number;
}

export interface TimeGroup {
  project_id: string;
  project_name: string;
  hourly_rate: number;
  seconds: number;
  entries: number;
  /** The sum of the entries' own amounts, each rounded to the minor unit (ADR 017): what every report says of them. */
  amount: number;
}

/**
 * Billable, finished, not yet invoiced entries of the client's projects that the caller may see.
 * Zero-length entries are left out: a line bills a positive quantity.
 */
function unbilledEntries(s: UnbilledScope) {
  return tenantDb()
    .selectFrom("time_entries")
    .innerJoin("projects", "projects.id", "time_entries.project_id")
    .where("projects.client_id", "=", s.clientId)
    .where("time_entries.started_at", ">=", s.fromMs)
    .where("time_entries.started_at", "<", s.toMs)
    .where("time_entries.invoice_id", "is", null)
    .where("time_entries.billable", "=", 1)
    .where("time_entries.ended_at", "is not", null)
    .where("time_entries.duration_seconds", ">", 0)
    .where(projectVisible("time_entries.project_id"));
}

/** One group per project and rate: what one invoice line bills. */
export function unbilledGroups(s: UnbilledScope): Promise<TimeGroup[]> {
  return unbilledEntries(s)
    .select(["time_entries.project_id", "projects.name as project_name", "time_entries.hourly_rate"])
    .select((eb) => [
      eb.fn.sum<number>("time_entries.duration_seconds").as("seconds"),
      eb.fn.countAll<number>().as("entries"),
      eb.fn.sum<number>(AMOUNT).as("amount"),
    ])
    .groupBy(["time_entries.project_id", "time_entries.hourly_rate"])
    .orderBy("projects.name")
    .orderBy("time_entries.hourly_rate", "desc")
    .execute();
}

/** Sets invoice_id on the unbilled entries (the file then locks them); returns how many were taken. */
export async function takeUnbilled(s: UnbilledScope, invoiceId: string): Promise<number> {
  const result = await tenantDb()
    .updateTable("time_entries")
    .set({ invoice_id: invoiceId })
    .where("id", "in", unbilledEntries(s).select("time_entries.id"))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The entries an invoice holds, grouped as its time lines bill them. */
export function takenGroups(invoiceId: string): Promise<TimeGroup[]> {
  return tenantDb()
    .selectFrom("time_entries")
    .innerJoin("projects", "projects.id", "time_entries.project_id")
    .where("time_entries.invoice_id", "=", invoiceId)
    .select(["time_entries.project_id", "projects.name as project_name", "time_entries.hourly_rate"])
    .select((eb) => [
      eb.fn.sum<number>("time_entries.duration_seconds").as("seconds"),
      eb.fn.countAll<number>().as("entries"),
      eb.fn.sum<number>(AMOUNT).as("amount"),
    ])
    .groupBy(["time_entries.project_id", "time_entries.hourly_rate"])
    .orderBy("projects.name")
    .orderBy("time_entries.hourly_rate", "desc")
    .execute();
}

/** Gives entries back to unbilled time: all of an invoice's, or those one time line bills. */
export async function releaseEntries(invoiceId: string, line?: { projectId: string; hourlyRate: number }) {
  let q = tenantDb().updateTable("time_entries").set({ invoice_id: null }).where("invoice_id", "=", invoiceId);
  if (line) q = q.where("project_id", "=", line.projectId).where("hourly_rate", "=", line.hourlyRate);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
