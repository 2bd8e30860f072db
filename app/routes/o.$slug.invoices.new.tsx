import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { errorsOf, Field, FormMessage } from "~/components/form";
import { attempt, readForm, formObject, load, requestLocale, type ActionFailure } from "~/lib/api.server";
import { formatHours, todayIn } from "~/lib/format";
import { formatMoney, formatQuantity, formatTaxRateInput, parseAmountInput, parseQuantityInput, parseTaxRate } from "~/lib/money";

const MANUAL_ROWS = 3;
const isDate = (v: string | null): v is string => v !== null && /^\d{4}-\d{2}-\d{2}$/.test(v);

/** Last calendar month in the organisation's time zone, as the default range: the usual thing to bill. */
function lastMonth(timeZone: string) {
  const [year, month] = todayIn(timeZone).split("-").map(Number) as [number, number];
  // Date.UTC only does calendar arithmetic here (month 0 of this month = last day of the previous one).
  const first = new Date(Date.UTC(year, month - 2, 1));
  const last = new Date(Date.UTC(year, month - 1, 0));
  return { from: first.toISOString().slice(0, 10), to: last.toISOString().slice(0, 10) };
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const url = new URL(request.url);
  const clients = await load(request, () => context.api.clients.list({ org }));
  const clientId = url.searchParams.get("client") ?? clients[0]?.id ?? null;
  const me = await load(request, () => context.api.members.me({ org }));
  const defaults = lastMonth(me.timeZone);
  const from = isDate(url.searchParams.get("from")) ? url.searchParams.get("from")! : defaults.from;
  const to = isDate(url.searchParams.get("to")) ? url.searchParams.get("to")! : defaults.to;
  // The preview is what "Create draft" would take; it also tells the form the currency.
  const preview = clientId ? await load(request, () => context.api.invoices.preview({ org, clientId, from, to })) : null;
  return { clients, clientId, from, to, preview };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  // Prices are read in the organisation's currency, the one the invoice will carry, never a posted field's.
  const { currency } = await load(request, () => context.api.members.me({ org: params.slug! }));
  const fieldErrors: ActionFailure["fieldErrors"] = {};
  const locale = requestLocale(request);
  const taxRateBp = parseTaxRate(f.taxRate, locale);
  if (taxRateBp === undefined) fieldErrors.taxRate = [`Enter a percentage such as 19 or ${formatTaxRateInput(750, locale)}.`];
  const lines: { description: string; quantity: number; unitPrice: number }[] = [];
  for (let i = 0; i < MANUAL_ROWS; i++) {
    const description = (f[`description${i}`] ?? "").trim();
    if (!description && !f[`price${i}`]) continue;
    // Strict decimals in the person's format: "0x10" and "1e3" are refused, not read as 16 and 1000.
    const quantity = parseQuantityInput(f[`quantity${i}`], locale);
    const unitPrice = parseAmountInput(f[`price${i}`], currency, locale);
    if (!unitPrice.ok) fieldErrors[`price${i}`] = [unitPrice.message];
    if (!quantity.ok) fieldErrors[`quantity${i}`] = [quantity.message];
    lines.push({ description, quantity: quantity.ok ? quantity.thousandths / 1000 : 1, unitPrice: unitPrice.ok ? unitPrice.minor : 0 });
  }
  if (Object.keys(fieldErrors).length) return { ok: false as const, message: "Please correct the marked fields.", fieldErrors };
  const withTime = f.includeTime === "1";
  const result = await attempt(request, () =>
    context.api.invoices.create({
      org: params.slug!,
      clientId: f.clientId ?? "",
      ...(withTime ? { from: f.from, to: f.to } : {}),
      taxRateBp: taxRateBp!,
      dueDate: f.dueDate || null,
      notes: f.notes ?? "",
      lines,
    }),
  );
  if (result.ok) throw redirect(`/o/${params.slug}/invoices/${result.data.id}`);
  return result;
}

export default function NewInvoice() {
  const { clients, clientId, from, to, preview } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  if (clients.length === 0) {
    return (
      <div>
        <h1>New invoice</h1>
        <p className="muted">
          There are no clients to invoice yet. <Link to="../../clients/new">Create a client</Link> first.
        </p>
      </div>
    );
  }
  const currency = preview?.currency ?? "EUR";
  return (
    <div>
      <h1>New invoice</h1>
      <Form method="get" className="card">
        <div className="row">
          <Field name="client" label="Client">
            <select id="f-client" name="client" defaultValue={clientId ?? undefined}>
              {clients.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </Field>
          <Field name="from" label="From" type="date" defaultValue={from} />
          <Field name="to" label="To" type="date" defaultValue={to} />
        </div>
        <button type="submit" className="secondary">
          Show unbilled time
        </button>
        {preview && (
          <p>
            <strong>{preview.entries}</strong> unbilled billable entries ({formatHours(preview.seconds)}) worth{" "}
            <strong>{formatMoney(preview.subtotal, currency)}</strong> before tax; days count in {preview.timeZone}.
          </p>
        )}
        {preview && preview.lines.length > 0 && (
          <ul>
            {preview.lines.map((l) => (
              <li key={`${l.project_id}-${l.unit_price}`}>
                {l.description}: {formatQuantity(l)} at {formatMoney(l.unit_price, currency)}/h = {formatMoney(l.amount, currency)}
              </li>
            ))}
          </ul>
        )}
      </Form>

      <Form method="post" className="card">
        <FormMessage result={result} />
        {/* Errors of inputs that have no field of their own in this form. */}
        {["clientId", "from", "to", "lines", "taxRateBp"]
          .flatMap((k) => errorsOf(result)?.fieldErrors[k] ?? [])
          .map((e) => (
            <p key={e} className="field-error">
              {e}
            </p>
          ))}
        <input type="hidden" name="clientId" value={clientId ?? ""} />
        <input type="hidden" name="from" value={from} />
        <input type="hidden" name="to" value={to} />
        <label>
          {/* Keyed on the preview: defaultChecked alone would keep the state of the first range shown. */}
          <input
            key={`${clientId}|${from}|${to}|${preview?.entries ?? 0}`}
            type="checkbox"
            name="includeTime"
            value="1"
            defaultChecked={(preview?.entries ?? 0) > 0}
          />{" "}
          Bill the unbilled time above ({from} to {to})
        </label>
        <h2>Other lines</h2>
        {Array.from({ length: MANUAL_ROWS }, (_, i) => (
          <div className="row" key={i}>
            <Field name={`description${i}`} label="Description" result={result} maxLength={500} />
            <Field name={`quantity${i}`} label="Quantity" result={result} defaultValue="1" />
            <Field name={`price${i}`} label={`Unit price (${currency})`} result={result} />
          </div>
        ))}
        <div className="row">
          <Field name="taxRate" label="Tax rate (%)" result={result} defaultValue="0" />
          <Field name="dueDate" label="Due date" type="date" result={result} />
        </div>
        <Field name="notes" label="Notes (printed on the invoice)" result={result}>
          <textarea id="f-notes" name="notes" maxLength={10_000} />
        </Field>
        <p className="muted">The draft gets its number when you issue it. More lines can be added to the draft.</p>
        <button type="submit" disabled={busy}>
          Create draft
        </button>
      </Form>
    </div>
  );
}
