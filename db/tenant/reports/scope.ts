import { sql, type RawBuilder } from "kysely";
import { tenantDb } from "../context";
import { currentAccess, projectVisible } from "../visibility";

/**
 * Which time entries a report may count. Every report query starts from `scopedEntries`, so the two
 * rules that keep figures honest live in one place: only projects the caller may see, and only the
 * caller's own entries unless their role reads everyone's time.
 */
export interface ReportScope {
  /** Set when the caller lacks time.read.all: they are shown their own entries only. */
  ownMemberId: string | null;
  /** Entries that start in [startMs, endMs); both unset means all time. */
  startMs?: number;
  endMs?: number;
  clientId?: string;
  projectId?: string;
  memberId?: string;
}

/**
 * Finished entries (a running timer has no duration yet) of visible projects. Visibility is a
 * non-correlated `project_id in (visible projects)`: SQLite computes the list once, then range-scans
 * time_entries_report (project_id, started_at, …) per project, or time_entries_member_start when
 * the scope names one member. No join: grouping by an entry column then costs no lookup per row.
 */
export function scopedEntryRows(s: ReportScope) {
  let q = tenantDb()
    .selectFrom("time_entries")
    .where("time_entries.project_id", "in", (eb) => eb.selectFrom("projects as vis").select("vis.id").where(projectVisible("vis.id")))
    .where("time_entries.ended_at", "is not", null);
  // Invoiced time belongs to the invoice's client, even after its project moved to another (ADR 017).
  if (s.clientId !== undefined) q = q.where(BILLING_CLIENT, "=", s.clientId);
  // A client contact sees their own client's money only: not another client's invoiced time on a project that moved to theirs.
  const contactOf = currentAccess().clientId;
  if (contactOf !== null) q = q.where(BILLING_CLIENT, "=", contactOf);
  if (s.ownMemberId !== null) q = q.where("time_entries.member_id", "=", s.ownMemberId);
  if (s.memberId !== undefined) q = q.where("time_entries.member_id", "=", s.memberId);
  if (s.projectId !== undefined) q = q.where("time_entries.project_id", "=", s.projectId);
  if (s.startMs !== undefined) q = q.where("time_entries.started_at", ">=", s.startMs);
  if (s.endMs !== undefined) q = q.where("time_entries.started_at", "<", s.endMs);
  return q;
}

/** The same entries joined to their project, for reports that read project columns. */
export function scopedEntries(s: ReportScope) {
  return scopedEntryRows(s).innerJoin("projects", "projects.id", "time_entries.project_id");
}

/**
 * An entry's seconds as every total counts them: a row flagged by migration 0017 for ending before
 * it starts counts as none until it is fixed, as invoicing leaves it out (its −1,800 s once made
 * reports disagree with the time list and with the invoice, and SQLite's integer division rounds
 * negatives toward zero where amountOf floors them).
 */
const COUNTED_SECONDS = sql<number>`max(time_entries.duration_seconds, 0)`;

/**
 * What a billable entry bills, in minor units: round(seconds × rate / 3600), half up, in integer
 * arithmetic (seconds ≤ 86,400 and rates ≤ 10^8, so the product stays far inside 64 bits).
 */
export const AMOUNT = sql<number>`case when time_entries.billable = 1 then (${COUNTED_SECONDS} * time_entries.hourly_rate + 1800) / 3600 else 0 end`;

/**
 * The client an entry's money belongs to: its invoice's, once it is on one (draft or issued), else
 * its project's. A project moved to another client takes only its unbilled time along.
 */
export const BILLING_CLIENT = sql<string>`coalesce((select inv.client_id from invoices inv where inv.id = time_entries.invoice_id), (select pc.client_id from projects pc where pc.id = time_entries.project_id))`;

/**
 * The currency an entry's amount is in: its invoice's, once invoiced; else the organisation's, which
 * cannot change while any money exists (settings.update refuses), so unbilled time is always in it.
 */
export const entryCurrency = (orgCurrency: string) =>
  sql<string>`coalesce((select inv.currency from invoices inv where inv.id = time_entries.invoice_id), ${orgCurrency})`;

/** The state of the invoice an entry is on: null while unbilled (or released by a void). */
export const INVOICE_STATUS = sql<string | null>`(select inv.status from invoices inv where inv.id = time_entries.invoice_id)`;

export const SECONDS = COUNTED_SECONDS;
export const BILLABLE_SECONDS = sql<number>`case when time_entries.billable = 1 then ${COUNTED_SECONDS} else 0 end`;

export const total = (e: RawBuilder<number>) => sql<number>`coalesce(sum(${e}), 0)`;

/** The aggregate columns every hours-like report returns. */
export const totals = () =>
  [total(SECONDS).as("seconds"), total(BILLABLE_SECONDS).as("billable_seconds"), total(AMOUNT).as("amount")] as const;
