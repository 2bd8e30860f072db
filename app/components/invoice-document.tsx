import type { InvoiceLineRow } from "../../db/tenant/invoices/schema";

import { formatMoney, formatQuantity, formatTaxRate } from "~/lib/money";

/** What the document shows of an invoice: invoices.get's answer. */
export interface PrintableInvoice {
  organisation: string;
  number: string | null;
  status: "draft" | "issued" | "paid" | "void";
  currency: string;
  issue_date: string | null;
  due_date: string | null;
  period_from: string | null;
  period_to: string | null;
  client_name: string;
  client_email: string | null;
  void_reason: string | null;
  tax_rate_bp: number;
  subtotal: number;
  tax: number;
  total: number;
  paid: number;
  balance: number;
  notes: string;
  lines: Pick<InvoiceLineRow, "id" | "kind" | "description" | "quantity" | "unit_price" | "amount">[];
}

/**
 * The invoice as a document, from its stored rows only (no rates, projects or settings read now), so
 * an issued invoice prints the same however the organisation changes afterwards. A time line shows
 * its exact duration; its description says how its amount was formed (ADR 017).
 */
export function InvoiceDocument({ invoice }: { invoice: PrintableInvoice }) {
  const money = (minor: number) => formatMoney(minor, invoice.currency);
  const stamp =
    invoice.status === "draft"
      ? "Draft, not an invoice yet"
      : invoice.status === "void"
        ? `Void: ${invoice.void_reason}`
        : invoice.status === "paid"
          ? "Paid"
          : null;
  return (
    <article className="invoice-doc">
      <header>
        <div>
          <h1>Invoice</h1>
          <strong>{invoice.organisation}</strong>
        </div>
        <dl>
          <dt>Number</dt>
          <dd>{invoice.number ?? "—"}</dd>
          <dt>Issue date</dt>
          <dd>{invoice.issue_date ?? "—"}</dd>
          <dt>Due date</dt>
          <dd>{invoice.due_date ?? "On receipt"}</dd>
          {invoice.period_from && (
            <>
              <dt>Period</dt>
              <dd>
                {invoice.period_from} – {invoice.period_to}
              </dd>
            </>
          )}
        </dl>
      </header>
      <section>
        <div className="muted">Bill to</div>
        <strong>{invoice.client_name}</strong>
        {invoice.client_email && <div>{invoice.client_email}</div>}
      </section>
      {stamp && <p className="stamp">{stamp}</p>}
      <table>
        <thead>
          <tr>
            <th>Description</th>
            <th className="num">Quantity</th>
            <th className="num">Unit price</th>
            <th className="num">Amount</th>
          </tr>
        </thead>
        <tbody>
          {invoice.lines.map((l) => (
            <tr key={l.id}>
              <td>{l.description}</td>
              <td className="num">{formatQuantity(l)}</td>
              <td className="num">
                {money(l.unit_price)}
                {l.kind === "time" ? " / h" : ""}
              </td>
              <td className="num">{money(l.amount)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th colSpan={3} className="num">
              Subtotal
            </th>
            <th className="num">{money(invoice.subtotal)}</th>
          </tr>
          <tr>
            <th colSpan={3} className="num">
              Tax {formatTaxRate(invoice.tax_rate_bp)}
            </th>
            <th className="num">{money(invoice.tax)}</th>
          </tr>
          <tr className="total">
            <th colSpan={3} className="num">
              Total {invoice.currency}
            </th>
            <th className="num">{money(invoice.total)}</th>
          </tr>
          {invoice.paid > 0 && (
            <tr>
              <th colSpan={3} className="num">
                Paid · balance due
              </th>
              <th className="num">
                {money(invoice.paid)} · {money(invoice.balance)}
              </th>
            </tr>
          )}
        </tfoot>
      </table>
      {invoice.notes && <p className="notes">{invoice.notes}</p>}
    </article>
  );
}
