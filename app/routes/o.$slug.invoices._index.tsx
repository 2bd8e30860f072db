import type { LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { load } from "~/lib/api.server";
import { useOrgAccess } from "~/lib/permissions";
import { formatMoney, INVOICE_STATUS_LABEL } from "~/lib/money";

const STATUSES = ["draft", "issued", "paid", "void"] as const;
type Status = (typeof STATUSES)[number];
const NUM = { textAlign: "right" } as const;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const raw = url.searchParams.get("status");
  const status = STATUSES.includes(raw as Status) ? (raw as Status) : undefined;
  const invoices = await load(request, () => context.api.invoices.list({ org: params.slug!, status, limit: 200 }));
  return { invoices };
}

/** Sums per currency: an organisation that changed its currency has invoices in both. Void ones count for nothing. */
function totalsByCurrency(invoices: { currency: string; status: string; total: number; balance: number }[]) {
  const sums = new Map<string, { total: number; balance: number }>();
  for (const i of invoices) {
    if (i.status === "void") continue;
    const s = sums.get(i.currency) ?? { total: 0, balance: 0 };
    s.total += i.total;
    if (i.status !== "draft") s.balance += i.balance;
    sums.set(i.currency, s);
  }
  return [...sums];
}

export default function Invoices() {
  const { invoices } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const { can } = useOrgAccess();
  return (
    <div>
      <div className="toolbar">
        <h1>Invoices</h1>
        {can("invoice.create") && (
          <Link to="new" className="button">
            New invoice
          </Link>
        )}
      </div>
      <Form method="get" className="toolbar">
        <label>
          Status{" "}
          <select name="status" defaultValue={params.get("status") ?? ""} aria-label="Status">
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {INVOICE_STATUS_LABEL[s]}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="secondary">
          Filter
        </button>
      </Form>
      {invoices.length === 0 ? (
        <p className="muted">No invoices{params.get("status") ? " with this status" : " yet"}.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Number</th>
              <th>Client</th>
              <th>Status</th>
              <th>Issued</th>
              <th>Due</th>
              <th style={NUM}>Total</th>
              <th style={NUM}>Balance due</th>
            </tr>
          </thead>
          <tbody>
            {invoices.map((i) => (
              <tr key={i.id} className={i.status === "void" ? "archived" : undefined}>
                <td>
                  <Link to={i.id}>{i.number ?? "Draft"}</Link>
                </td>
                <td>{i.client_name}</td>
                <td>{INVOICE_STATUS_LABEL[i.status]}</td>
                <td className="nowrap">{i.issue_date ?? "—"}</td>
                <td className="nowrap">{i.due_date ?? "—"}</td>
                <td style={NUM}>{formatMoney(i.total, i.currency)}</td>
                <td style={NUM}>{i.status === "draft" || i.status === "void" ? "—" : formatMoney(i.balance, i.currency)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            {totalsByCurrency(invoices).map(([currency, s]) => (
              <tr key={currency}>
                <th colSpan={5}>Shown, {currency} (void excluded)</th>
                <th style={NUM}>{formatMoney(s.total, currency)}</th>
                <th style={NUM}>{formatMoney(s.balance, currency)}</th>
              </tr>
            ))}
          </tfoot>
        </table>
      )}
    </div>
  );
}
