import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { PostButton } from "~/components/post-button";
import { attempt, readForm, formObject, load, requestLocale } from "~/lib/api.server";
import { todayIn } from "~/lib/format";
import { useOrgAccess } from "~/lib/permissions";
import {
  formatMoney,
  formatQuantity,
  formatTaxRate,
  INVOICE_STATUS_LABEL,
  formatAmountInput,
  formatTaxRateInput,
  parseAmountInput,
  parseQuantityInput,
  parseTaxRate,
  PAYMENT_METHOD_LABEL,
} from "~/lib/money";

const NUM = { textAlign: "right" } as const;
const METHODS = Object.keys(PAYMENT_METHOD_LABEL) as (keyof typeof PAYMENT_METHOD_LABEL)[];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const invoice = await load(request, () => context.api.invoices.get({ org, id: params.id! }));
  // Payments need payment.read: a role without it sees the balance but not the individual payments.
  const payments = invoice.status === "draft" ? [] : await context.api.payments.list({ org, invoiceId: invoice.id }).catch(() => null);
  return { org, invoice, payments };
}

const fail = (field: string, message: string) => ({
  ok: false as const,
  message: "Please correct the marked fields.",
  fieldErrors: { [field]: [message] },
});

export async function action({ request, params, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const org = params.slug!;
  const id = params.id!;
  const locale = requestLocale(request);
  const api = context.api;
  // Amounts are read in the invoice's own currency, never a posted field's.
  const invoiceCurrency = async () => (await load(request, () => api.invoices.get({ org, id }))).currency;
  switch (f.intent) {
    case "issue":
      return attempt(request, () => api.invoices.issue({ org, id }));
    case "void":
      return attempt(request, () => api.invoices.void({ org, id, reason: f.reason ?? "" }));
    case "delete": {
      const result = await attempt(request, () => api.invoices.delete({ org, id }));
      if (result.ok) throw redirect(`/o/${org}/invoices`);
      return result;
    }
    case "update": {
      const taxRateBp = parseTaxRate(f.taxRate, locale);
      if (taxRateBp === undefined) return fail("taxRate", `Enter a percentage such as 19 or ${formatTaxRateInput(750, locale)}.`);
      return attempt(request, () => api.invoices.update({ org, id, taxRateBp, dueDate: f.dueDate || null, notes: f.notes ?? "" }));
    }
    case "addLine": {
      const quantity = parseQuantityInput(f.quantity, locale);
      if (!quantity.ok) return fail("quantity", quantity.message);
      const unitPrice = parseAmountInput(f.unitPrice, await invoiceCurrency(), locale);
      if (!unitPrice.ok) return fail("unitPrice", unitPrice.message);
      return attempt(request, () =>
        api.invoices.addLine({
          org,
          id,
          description: f.description ?? "",
          quantity: quantity.thousandths / 1000,
          unitPrice: unitPrice.minor,
        }),
      );
    }
    case "removeLine":
      return attempt(request, () => api.invoices.removeLine({ org, id, lineId: f.lineId ?? "" }));
    case "pay": {
      const parsed = parseAmountInput(f.amount, await invoiceCurrency(), locale);
      if (!parsed.ok) return fail("amount", parsed.message);
      if (parsed.minor === 0) return fail("amount", "A payment must be above zero.");
      const method = (METHODS as string[]).includes(f.method ?? "") ? (f.method as (typeof METHODS)[number]) : "other";
      return attempt(request, () =>
        api.payments.create({
          org,
          invoiceId: id,
          paidOn: f.paidOn ?? "",
          amount: parsed.minor,
          confirmFutureDate: f.confirmFutureDate === "1",
          confirmOverpayment: f.confirmOverpayment === "1",
          method,
          reference: f.reference ?? "",
          note: f.note ?? "",
        }),
      );
    }
    case "deletePayment":
      return attempt(request, () => api.payments.delete({ org, id: f.paymentId ?? "" }));
    default:
      return { ok: false as const, message: "Unknown action.", fieldErrors: {} };
  }
}

function Intent({ name, label, className, confirm }: { name: string; label: string; className?: string; confirm?: string }) {
  return (
    <PostButton fields={{ intent: name }} className={className ?? ""} confirm={confirm} style={{ display: "inline" }}>
      {label}
    </PostButton>
  );
}

export default function InvoiceDetail() {
  const { invoice, payments } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  // Hiding is a courtesy; every procedure checks its own permission.
  const { can, me } = useOrgAccess();
  const timeZone = me?.timeZone ?? "UTC";
  const money = (minor: number) => formatMoney(minor, invoice.currency);
  const { numberLocale } = useOrgAccess();
  const confirm = result && !result.ok && "confirm" in result ? result.confirm : undefined;
  const draft = invoice.status === "draft";
  const open = invoice.status === "issued";
  return (
    <div>
      <div className="toolbar">
        <h1>
          {invoice.number ?? "Draft invoice"} · {invoice.client_name}{" "}
          <small className="muted">({INVOICE_STATUS_LABEL[invoice.status]})</small>
        </h1>
        <div>
          <Link to="print" className="button secondary">
            Print / PDF
          </Link>{" "}
          {draft && can("invoice.issue") && (
            <Intent name="issue" label="Issue" confirm="Issue this invoice? It gets its number and can no longer be changed." />
          )}{" "}
          {draft && can("invoice.delete") && (
            <Intent name="delete" label="Delete draft" className="danger" confirm="Delete this draft? Its time goes back to unbilled." />
          )}
        </div>
      </div>
      <FormMessage result={result} />
      {invoice.status === "void" && (
        <p className="notice">Void: {invoice.void_reason}. Its time went back to unbilled; create a new draft to bill it again.</p>
      )}
      <p className="muted">
        {invoice.issue_date ? `Issued ${invoice.issue_date}` : "Not issued yet"} ·{" "}
        {invoice.due_date ? `due ${invoice.due_date}` : "no due date"}
        {invoice.period_from && ` · time from ${invoice.period_from} to ${invoice.period_to}`} · {invoice.currency}
      </p>

      <table>
        <thead>
          <tr>
            <th>Description</th>
            <th style={NUM}>Quantity</th>
            <th style={NUM}>Unit price</th>
            <th style={NUM}>Amount</th>
            {draft && can("invoice.update") && <th />}
          </tr>
        </thead>
        <tbody>
          {invoice.lines.map((l) => (
            <tr key={l.id}>
              <td>{l.description}</td>
              <td style={NUM}>{formatQuantity(l)}</td>
              <td style={NUM}>
                {money(l.unit_price)}
                {l.kind === "time" ? "/h" : ""}
              </td>
              <td style={NUM}>{money(l.amount)}</td>
              {draft && can("invoice.update") && (
                <td>
                  <PostButton fields={{ intent: "removeLine", lineId: l.id }} className="link" disabled={busy}>
                    Remove
                  </PostButton>
                </td>
              )}
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th colSpan={3}>Subtotal</th>
            <th style={NUM}>{money(invoice.subtotal)}</th>
          </tr>
          <tr>
            <th colSpan={3}>Tax {formatTaxRate(invoice.tax_rate_bp)}</th>
            <th style={NUM}>{money(invoice.tax)}</th>
          </tr>
          <tr>
            <th colSpan={3}>Total</th>
            <th style={NUM}>{money(invoice.total)}</th>
          </tr>
          {!draft && (
            <tr>
              <th colSpan={3}>Paid · balance due</th>
              <th style={NUM}>
                {money(invoice.paid)} · <strong>{money(Math.max(invoice.balance, 0))}</strong>
              </th>
            </tr>
          )}
          {invoice.credit > 0 && (
            <tr>
              <th colSpan={3}>Credit for {invoice.client_name} (overpaid)</th>
              <th style={NUM}>{money(invoice.credit)}</th>
            </tr>
          )}
        </tfoot>
      </table>
      {invoice.notes && <p className="reason">{invoice.notes}</p>}

      {draft && can("invoice.update") && (
        <div className="row">
          <Form method="post" className="card">
            <h2>Add a line</h2>
            <input type="hidden" name="intent" value="addLine" />
            <Field name="description" label="Description" result={result} required maxLength={500} />
            <Field name="quantity" label="Quantity" result={result} defaultValue="1" />
            <Field name="unitPrice" label={`Unit price (${invoice.currency})`} result={result} required />
            <button type="submit" disabled={busy}>
              Add line
            </button>
          </Form>
          <Form method="post" className="card">
            <h2>Details</h2>
            <input type="hidden" name="intent" value="update" />
            <Field
              name="taxRate"
              label="Tax rate (%)"
              result={result}
              defaultValue={formatTaxRateInput(invoice.tax_rate_bp, numberLocale)}
            />
            <Field name="dueDate" label="Due date" type="date" result={result} defaultValue={invoice.due_date} />
            <Field name="notes" label="Notes" result={result}>
              <textarea id="f-notes" name="notes" defaultValue={invoice.notes} maxLength={10_000} />
            </Field>
            <button type="submit" disabled={busy}>
              Save
            </button>
          </Form>
        </div>
      )}

      {!draft && (
        <>
          <h2>Payments</h2>
          {payments === null ? (
            <p className="muted">Your role does not show individual payments.</p>
          ) : payments.length === 0 ? (
            <p className="muted">No payments recorded.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Date</th>
                  <th>Method</th>
                  <th>Reference</th>
                  <th>Note</th>
                  <th style={NUM}>Amount</th>
                  {invoice.status !== "void" && can("payment.delete") && <th />}
                </tr>
              </thead>
              <tbody>
                {payments.map((p) => (
                  <tr key={p.id}>
                    <td className="nowrap">{p.paid_on}</td>
                    <td>{PAYMENT_METHOD_LABEL[p.method]}</td>
                    <td>{p.reference || "—"}</td>
                    <td>{p.note || "—"}</td>
                    <td style={NUM}>{money(p.amount)}</td>
                    {invoice.status !== "void" && can("payment.delete") && (
                      <td>
                        <PostButton
                          fields={{ intent: "deletePayment", paymentId: p.id }}
                          className="danger"
                          disabled={busy}
                          ariaLabel={`Delete the payment of ${money(p.amount)} on ${p.paid_on}`}
                          confirm={`Delete the payment of ${money(p.amount)} received on ${p.paid_on}? The balance goes up by that much.`}
                        >
                          Delete
                        </PostButton>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {open && can("payment.create") && (
            // Keyed on what was paid: after each payment the form starts again from the new balance,
            // not from the amount last typed (a second payment would otherwise repeat the first).
            <Form method="post" className="card" key={`pay-${invoice.paid}`}>
              <h2>Record a payment</h2>
              <input type="hidden" name="intent" value="pay" />
              <div className="row">
                <Field name="paidOn" label="Date" type="date" result={result} required defaultValue={todayIn(timeZone)} />
                <Field
                  name="amount"
                  label={`Amount (${invoice.currency})`}
                  result={result}
                  required
                  defaultValue={formatAmountInput(Math.max(invoice.balance, 0), invoice.currency, numberLocale)}
                  hint={`The balance due; e.g. ${formatAmountInput(123456, invoice.currency, numberLocale)} in your number format.`}
                />
                <Field name="method" label="Method" result={result}>
                  <select id="f-method" name="method" defaultValue="bank_transfer">
                    {METHODS.map((m) => (
                      <option key={m} value={m}>
                        {PAYMENT_METHOD_LABEL[m]}
                      </option>
                    ))}
                  </select>
                </Field>
              </div>
              <Field name="reference" label="Reference" result={result} maxLength={200} hint="Never a card number: those are refused." />
              <Field name="note" label="Note" result={result} maxLength={1000} />
              {confirm === "future_date" && (
                <label className="notice">
                  <input type="checkbox" name="confirmFutureDate" value="1" /> Yes, record this payment with a date after today.
                </label>
              )}
              {confirm === "overpayment" && (
                <label className="notice">
                  <input type="checkbox" name="confirmOverpayment" value="1" /> Yes, the client paid more than the balance: record the
                  excess as their credit.
                </label>
              )}
              <button type="submit" disabled={busy}>
                Record payment
              </button>
            </Form>
          )}
          {(open || invoice.status === "paid") && invoice.paid === 0 && can("invoice.void") && (
            <Form method="post" className="card narrow">
              <h2>Void</h2>
              <input type="hidden" name="intent" value="void" />
              <p className="muted">The invoice keeps its number as a record; its time goes back to unbilled so a new draft can bill it.</p>
              <Field name="reason" label="Reason" result={result} required maxLength={500} />
              <button type="submit" className="danger" disabled={busy}>
                Void invoice
              </button>
            </Form>
          )}
        </>
      )}
    </div>
  );
}
