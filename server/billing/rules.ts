import { findInvoice, setTotals } from "../../db/tenant/invoices/invoices";
import { listLines } from "../../db/tenant/invoices/lines";
import { badRequest, conflict, notFound } from "../trpc/errors";
import { AmountTooLargeError, lineAmount, totalsOf, type LineKind } from "./money";

/** Rules the invoice and payment procedures share. Each runs inside the caller's transaction. */

export type VisibleInvoice = NonNullable<Awaited<ReturnType<typeof findInvoice>>>;

export const label = (invoice: { number: string | null }) => (invoice.number ? `Invoice ${invoice.number}` : "This draft");

export async function requireInvoice(id: string): Promise<VisibleInvoice> {
  const invoice = await findInvoice(id);
  if (!invoice) throw notFound("Invoice");
  return invoice;
}

/** Issued invoices are final: changes go through a void and a new draft, never an edit. */
export function requireDraft(invoice: VisibleInvoice, change: "changed" | "deleted" = "changed") {
  if (invoice.status === "void") throw conflict(`${label(invoice)} is void and can no longer be ${change}.`);
  if (invoice.status !== "draft") {
    throw conflict(`${label(invoice)} has been issued and can no longer be ${change}. Void it and create a new draft instead.`);
  }
}

/** Money math that would overflow the invoice's limits is the caller's bad input, not a fault. */
export function withinLimits<T>(compute: () => T): T {
  try {
    return compute();
  } catch (error) {
    if (error instanceof AmountTooLargeError) throw badRequest(error.message);
    throw error;
  }
}

export const amountOf = (kind: LineKind, quantity: number, unitPrice: number) => withinLimits(() => lineAmount(kind, quantity, unitPrice));

/** Totals from the stored line amounts: tax once, on the subtotal. */
export async function recomputeTotals(invoiceId: string, taxRateBp: number, now: number) {
  const lines = await listLines(invoiceId);
  const totals = withinLimits(() =>
    totalsOf(
      lines.map((l) => l.amount),
      taxRateBp,
    ),
  );
  await setTotals(invoiceId, totals, now);
  return totals;
}

/** An invoice with its lines, what is still owed (nothing, once void) and the client's credit from a confirmed overpayment. */
export async function invoiceDetail(id: string) {
  const invoice = await requireInvoice(id);
  const lines = await listLines(id);
  return { ...invoice, balance: balanceOf(invoice), credit: creditOf(invoice), lines };
}

/** What was received beyond the total: only a confirmed overpayment makes one (server/billing/payment-rules.ts). */
export function creditOf(invoice: { status: string; total: number; paid: number }) {
  return invoice.status === "void" ? 0 : Math.max(invoice.paid - invoice.total, 0);
}

export function balanceOf(invoice: { status: string; total: number; paid: number }) {
  return invoice.status === "void" ? 0 : invoice.total - invoice.paid;
}
