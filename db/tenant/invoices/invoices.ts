import { sql } from "kysely";
import { tenantDb } from "../context";
import { clientVisible } from "../visibility";
import type { InvoiceRow, InvoiceStatus } from "./schema";

export interface InvoiceListOptions {
  status?: InvoiceStatus;
  clientId?: string;
  limit: number;
  offset: number;
}

/** What every read of an invoice shows: its client's name and the money received so far. */
function invoicesWithClient() {
  return (
    tenantDb()
      .selectFrom("invoices")
      .innerJoin("clients", "clients.id", "invoices.client_id")
      .selectAll("invoices")
      .select(["clients.name as client_name", "clients.contact_email as client_email"])
      .select(sql<number>`coalesce((select sum(p.amount) from payments p where p.invoice_id = invoices.id), 0)`.as("paid"))
      // Client contacts see their own client's invoices only.
      .where(clientVisible("invoices.client_id"))
  );
}

export function listInvoices(opts: InvoiceListOptions) {
  let q = invoicesWithClient()
    .orderBy(sql`coalesce(invoices.issued_at, invoices.created_at)`, "desc")
    .orderBy("invoices.id")
    .limit(opts.limit)
    .offset(opts.offset);
  if (opts.status) q = q.where("invoices.status", "=", opts.status);
  if (opts.clientId) q = q.where("invoices.client_id", "=", opts.clientId);
  return q.execute();
}

/** An invoice the caller may see, or undefined: another client's invoice answers like a missing one. */
export function findInvoice(id: string) {
  return invoicesWithClient().where("invoices.id", "=", id).executeTakeFirst();
}

export type InvoiceFields = Pick<
  InvoiceRow,
  "client_id" | "currency" | "tax_rate_bp" | "period_from" | "period_to" | "due_date" | "notes" | "created_by"
>;

export async function insertDraft(id: string, f: InvoiceFields, now: number) {
  await tenantDb()
    .insertInto("invoices")
    .values({
      ...f,
      id,
      number: null,
      status: "draft",
      subtotal: 0,
      tax: 0,
      total: 0,
      issue_date: null,
      issued_at: null,
      paid_at: null,
      voided_at: null,
      void_reason: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

export async function updateDraft(id: string, changes: Partial<Pick<InvoiceRow, "tax_rate_bp" | "due_date" | "notes">>, now: number) {
  await tenantDb()
    .updateTable("invoices")
    .set({ ...changes, updated_at: now })
    .where("id", "=", id)
    .where("status", "=", "draft")
    .execute();
}

export async function setTotals(id: string, totals: { subtotal: number; tax: number; total: number }, now: number) {
  await tenantDb()
    .updateTable("invoices")
    .set({ ...totals, updated_at: now })
    .where("id", "=", id)
    .where("status", "=", "draft")
    .execute();
}

export async function markIssued(id: string, f: { number: string; issueDate: string; paid: boolean }, now: number) {
  const result = await tenantDb()
    .updateTable("invoices")
    .set({
      status: f.paid ? "paid" : "issued",
      number: f.number,
      issue_date: f.issueDate,
      issued_at: now,
      paid_at: f.paid ? now : null,
      updated_at: now,
    })
    .where("id", "=", id)
    .where("status", "=", "draft")
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** issued ⇄ paid as payments come and go; the file's trigger refuses any other change of an issued invoice. */
export async function setPaid(id: string, paidAt: number | null, now: number) {
  await tenantDb()
    .updateTable("invoices")
    .set({ status: paidAt === null ? "issued" : "paid", paid_at: paidAt, updated_at: now })
    .where("id", "=", id)
    .where("status", "in", ["issued", "paid"])
    .execute();
}

export async function markVoid(id: string, reason: string, now: number) {
  await tenantDb()
    .updateTable("invoices")
    .set({ status: "void", void_reason: reason, voided_at: now, updated_at: now })
    .where("id", "=", id)
    .where("status", "in", ["issued", "paid"])
    .execute();
}

export async function deleteDraft(id: string) {
  await tenantDb().deleteFrom("invoices").where("id", "=", id).where("status", "=", "draft").execute();
}

/**
 * The next number of a calendar year, counted in the issuing transaction: the upsert takes the row
 * under BEGIN IMMEDIATE's write lock, and a rollback gives the number back.
 */
export async function nextSequence(year: number): Promise<number> {
  const row = await tenantDb()
    .insertInto("invoice_counters")
    .values({ year, last_number: 1 })
    .onConflict((oc) => oc.column("year").doUpdateSet({ last_number: sql`invoice_counters.last_number + 1` }))
    .returning("last_number")
    .executeTakeFirstOrThrow();
  return row.last_number;
}
