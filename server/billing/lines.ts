import type { InvoiceLineRow } from "../../db/tenant/invoices/schema";
import type { TimeGroup } from "../../db/tenant/invoices/unbilled-time";
import { newId } from "../auth/tokens";
import { invoiceAmount, minorUnitOf, toThousandths } from "./money";
import { amountOf, withinLimits } from "./rules";

type LineValues = Omit<InvoiceLineRow, "id" | "invoice_id" | "position">;

/**
 * One line per project and rate: seconds at the rate the entries were written with. Its amount is
 * the sum of the entries' own rounded amounts (ADR 017), so it equals what the time list and every
 * report say of the same entries; it can differ from seconds × rate by the rounding of each entry,
 * and the description says so, so that the printed line reads correctly.
 */
export const timeLine = (g: TimeGroup, currency: string): LineValues => ({
  kind: "time",
  description: `Time: ${g.project_name} (${entriesRounded(g.entries, currency)})`,
  project_id: g.project_id,
  quantity: g.seconds,
  unit_price: g.hourly_rate,
  amount: withinLimits(() => invoiceAmount(Number(g.amount))),
});

/** "60 entries, each rounded to 0.01 EUR": how the amount was formed, in the line's own words. */
export const entriesRounded = (entries: number, currency: string) =>
  `${entries} ${entries === 1 ? "entry" : "entries"}, each rounded to ${minorUnitOf(currency)} ${currency}`;

/** A line as typed: quantity with up to three decimals, stored in thousandths. */
export function manualLine(l: { description: string; quantity: number; unitPrice: number }): LineValues {
  const quantity = toThousandths(l.quantity)!;
  return {
    kind: "manual",
    description: l.description,
    project_id: null,
    quantity,
    unit_price: l.unitPrice,
    amount: amountOf("manual", quantity, l.unitPrice),
  };
}

/** Rows for the invoice, numbered on from `first`. */
export const numbered = (invoiceId: string, first: number, lines: LineValues[]): InvoiceLineRow[] =>
  lines.map((l, i) => ({ ...l, id: newId("n"), invoice_id: invoiceId, position: first + i }));
