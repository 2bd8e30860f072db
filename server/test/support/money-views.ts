import { renderToStaticMarkup } from "react-dom/server";
import { createElement } from "react";
import { InvoiceDocument, type PrintableInvoice } from "../../../app/components/invoice-document";
import { newId } from "../../auth/tokens";
import { userWithOrg } from "./accounts";
import type { Client } from "./client";
import type { Instance } from "./instance";

/**
 * Every view of money the issue names (ADR 017), for one client's and project's time in a range of
 * local dates: what each says the billable time is worth, in minor units. The time list, the hours
 * report in each grouping, the unbilled and financials reports, their CSVs and the dashboard.
 */

export async function ok<T>(res: Promise<{ status: number; data: T; error: unknown }>): Promise<T> {
  const r = await res;
  if (r.status !== 200) throw new Error(`expected 200, got ${r.status}: ${JSON.stringify(r.error)}`);
  return r.data;
}

export interface EntrySpec {
  start: number;
  seconds: number;
  rate: number;
  billable?: boolean;
}

/** Time entries go straight into the file: how time is logged is another domain's (and lane's) business. */
export async function insertEntries(instance: Instance, tenantId: string, memberId: string, projectId: string, specs: EntrySpec[]) {
  const rows = specs.map((e) => ({
    id: newId("e"),
    member_id: memberId,
    project_id: projectId,
    task_id: null,
    started_at: e.start,
    ended_at: e.start + e.seconds * 1000,
    duration_seconds: e.seconds,
    note: "",
    billable: e.billable === false ? 0 : 1,
    hourly_rate: e.rate,
    invoice_id: null,
    created_at: e.start,
    updated_at: e.start,
  }));
  const lease = await instance.services.pool.acquire(tenantId);
  try {
    await lease.db.insertInto("time_entries").values(rows).execute();
  } finally {
    lease.release();
  }
  return rows.map((r) => r.id);
}

/** "1,234.56" style CSV cell → minor units, by the currency's digits. */
const minorOf = (cell: string, digits: number) => {
  const [whole = "0", fraction = ""] = cell.split(".");
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, "0") || "0");
};

/** A CSV's column, by header name, for the data rows whose first cell is `label`. */
function csvColumn(content: string, label: string, column: string): string[] {
  const [head, ...rows] = content
    .replace(/^\uFEFF/, "")
    .trim()
    .split("\r\n");
  const at = head!.split(",").indexOf(column);
  return rows
    .map((r) => r.split(","))
    .filter((cells) => cells[0] === label)
    .map((cells) => cells[at]!);
}

export interface Where {
  org: string;
  clientId: string;
  clientName: string;
  projectId: string;
  projectName: string;
  memberId: string;
  from: string;
  to: string;
  digits: number;
}

/** What each view says the client's (and project's) time in the range bills. */
export async function viewAmounts(client: Client, w: Where) {
  const range = { from: w.from, to: w.to };
  const q = (path: string, input: Record<string, unknown>) => ok(client.query(path, { org: w.org, ...input }));
  const hours = async (groupBy: string) => {
    const r = await q("reports.hours", { ...range, groupBy, clientId: w.clientId });
    return (r.rows as { amount: number }[]).reduce((n, x) => n + x.amount, 0);
  };
  const list = await q("time.listAll", { ...range, projectId: w.projectId });
  const financials = await q("reports.financials", { ...range, clientId: w.clientId });
  const fin = (financials.rows as { projectId: string; billableAmount: number }[]).filter((r) => r.projectId === w.projectId);
  const csv = await q("reports.export", { report: "hours", groupBy: "client", ...range, clientId: w.clientId });
  const finCsv = await q("reports.export", { report: "financials", ...range, clientId: w.clientId });
  return {
    timeList: list.totals.amount as number,
    hoursByProject: await hours("project"),
    hoursByClient: await hours("client"),
    hoursByMember: await hours("member"),
    hoursByWeek: await hours("week"),
    hoursByMonth: await hours("month"),
    hoursCsv: csvColumn(csv.content as string, w.clientName, "amount").reduce((n, c) => n + minorOf(c, w.digits), 0),
    financials: fin.reduce((n, r) => n + r.billableAmount, 0),
    financialsCsv: csvColumn(finCsv.content as string, w.projectName, "billable_amount").reduce((n, c) => n + minorOf(c, w.digits), 0),
  };
}

/** The dashboard's billable amount of this month (all the organisation's visible time). */
export async function dashboardMonth(client: Client, org: string): Promise<number> {
  return (await ok(client.query("dashboard.summary", { org }))).billableAmountThisMonth as number;
}

/** An issued invoice as stored (its row and its lines, straight from the file) and as printed. */
export async function invoiceSnapshot(instance: Instance, tenantId: string, client: Client, org: string, id: string) {
  const lease = await instance.services.pool.acquire(tenantId);
  let rows: string;
  try {
    const invoice = await lease.db.selectFrom("invoices").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    const lines = await lease.db.selectFrom("invoice_lines").selectAll().where("invoice_id", "=", id).orderBy("position").execute();
    rows = JSON.stringify({ invoice, lines });
  } finally {
    lease.release();
  }
  const detail = await ok(client.query<PrintableInvoice>("invoices.get", { org, id }));
  return { rows, print: renderToStaticMarkup(createElement(InvoiceDocument, { invoice: detail })) };
}

/** An organisation in Europe/Berlin with the given currency, and short ways to fill it through the API. */
export async function moneyOrg(instance: Instance, slug: string, currency: string) {
  const owner = await userWithOrg(instance, slug);
  await ok(owner.client.mutate("settings.update", { org: slug, timeZone: "Europe/Berlin", currency }));
  const memberId = (
    await instance.services.control.selectFrom("users").select("id").where("email", "=", owner.email).executeTakeFirstOrThrow()
  ).id;
  const client = async (name: string) => (await ok(owner.client.mutate("clients.create", { org: slug, name }))).id as string;
  const project = async (clientId: string, name: string, hourlyRate: number) =>
    (await ok(owner.client.mutate("projects.create", { org: slug, clientId, name, hourlyRate }))).id as string;
  const entries = (projectId: string, specs: EntrySpec[]) => insertEntries(instance, owner.tenantId, memberId, projectId, specs);
  const invoice = async (clientId: string, from: string, to: string, taxRateBp = 0) =>
    ok(owner.client.mutate("invoices.create", { org: slug, clientId, from, to, taxRateBp }));
  const issue = (id: string) => ok(owner.client.mutate("invoices.issue", { org: slug, id }));
  const financials = (input: Record<string, unknown> = {}) => ok(owner.client.query("reports.financials", { org: slug, ...input }));
  return { owner, memberId, client, project, entries, invoice, issue, financials };
}
