import type { InvoiceLineRow } from "../../db/tenant/invoices/schema";
import type { TimeGroup } from "../../db/tenant/invoices/unbilled-time";
import { newId } from "../auth/tokens";
import { toThousandths } from "./money";
import { amountOf } from "./rules";

type LineValues = Omit<InvoiceLineRow, "id" | "invoice_id" | "position">;

/** One line per project and rate: seconds at the rate the entries were written with. */
export const timeLine = (g: TimeGroup): LineValues => ({
  kind: "time",
  description: `Time: ${g.project_name}`,
  project_id: g.project_id,
  quantity: g.seconds,
  unit_price: g.hourly_rate,
  amount: amountOf("time", g.seconds, g.hourly_rate),
});

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
