import type { TenantCalls } from "../calls";
import type { Seeding } from "../world";

const line = { description: "Setup fee", quantity: 1, unitPrice: 50_000 };

/**
 * Valid inputs for the invoices and payments procedures; the isolation and proof suites call each
 * one. The seeded `invoiceId` is a draft (so edits of it are valid); `issuedInvoiceId` is issued and
 * carries `paymentId`. None of these is ever reached with A's own ids by the suites, so they stay put.
 */
export const invoicesCalls: TenantCalls = {
  "invoices.list": { kind: "query", input: (t) => ({ org: t.slug, clientId: t.clientId }), foreignIds: "answered" },
  "invoices.get": { kind: "query", input: (t) => ({ org: t.slug, id: t.invoiceId }) },
  // Answers about the client's projects: time of projects the caller cannot see is left out.
  "invoices.preview": {
    kind: "query",
    input: (t) => ({ org: t.slug, clientId: t.clientId, from: "2020-01-01", to: "2030-12-31" }),
    project: "list",
  },
  "invoices.create": {
    kind: "mutation",
    input: (t) => ({ org: t.slug, clientId: t.clientId, from: "2020-01-01", to: "2030-12-31", lines: [line] }),
    project: "list",
  },
  "invoices.update": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.invoiceId, notes: "Thanks!" }) },
  "invoices.addLine": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.invoiceId, ...line }) },
  "invoices.removeLine": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.invoiceId, lineId: t.invoiceLineId }) },
  "invoices.issue": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.invoiceId }) },
  "invoices.void": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.issuedInvoiceId, reason: "Wrong client" }) },
  "invoices.delete": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.invoiceId }) },
  "payments.list": { kind: "query", input: (t) => ({ org: t.slug, invoiceId: t.issuedInvoiceId }) },
  "payments.create": {
    kind: "mutation",
    input: (t) => ({
      org: t.slug,
      invoiceId: t.issuedInvoiceId,
      // Today (UTC, the seeded organisations' zone): on or after the issue date and not ahead (issue 26).
      paidOn: new Date().toISOString().slice(0, 10),
      amount: 100,
      method: "bank_transfer",
      reference: "Remittance 2026-01",
    }),
  },
  "payments.delete": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.paymentId }) },
};

/** Bad inputs for the invoices procedures (see bad-input.test.ts); "$key" names a seeded row of the target. */
export const invoicesBadInputs = (org: string): Record<string, unknown[]> => {
  const ok = { org };
  const pay = { ...ok, invoiceId: "$issuedInvoiceId", paidOn: new Date().toISOString().slice(0, 10), amount: 100, method: "cash" };
  return {
    "invoices.list": [
      { ...ok, status: "overdue" },
      { ...ok, limit: 0 },
      { ...ok, clientId: "x" },
    ],
    "invoices.get": [{ ...ok }, { ...ok, id: "$clientId" }, { ...ok, id: "' or 1=1 --" }],
    "invoices.preview": [
      { ...ok, clientId: "$clientId", from: "2026-02-30", to: "2026-03-01" },
      { ...ok, clientId: "$clientId", from: "2026-03-01", to: "2026-02-01" },
      { ...ok, clientId: "$clientId" },
    ],
    "invoices.create": [
      { ...ok, clientId: "$clientId" },
      { ...ok, clientId: "$clientId", from: "2026-01-01" },
      { ...ok, clientId: "$clientId", lines: [{ ...line, quantity: 1.0005 }] },
      { ...ok, clientId: "$clientId", lines: [{ ...line, unitPrice: 12.5 }] },
      { ...ok, clientId: "$clientId", lines: [line], taxRateBp: 10_001 },
      { ...ok, clientId: "$clientId", lines: [{ ...line, description: "  " }] },
    ],
    "invoices.update": [
      { ...ok, id: "$invoiceId", taxRateBp: -1 },
      { ...ok, id: "$invoiceId", dueDate: "tomorrow" },
      { ...ok, id: "$invoiceId", taxRateBp: 19.5 },
    ],
    "invoices.addLine": [
      { ...ok, id: "$invoiceId", ...line, quantity: 0 },
      { ...ok, id: "$invoiceId", ...line, unitPrice: -100 },
      { ...ok, id: "$invoiceId", ...line, unitPrice: 1e14 },
    ],
    "invoices.removeLine": [
      { ...ok, id: "$invoiceId" },
      { ...ok, id: "$invoiceId", lineId: "$invoiceId" },
    ],
    "invoices.issue": [{ ...ok }, { ...ok, id: "$paymentId" }],
    "invoices.void": [
      { ...ok, id: "$issuedInvoiceId" },
      { ...ok, id: "$issuedInvoiceId", reason: "" },
      { ...ok, id: "$issuedInvoiceId", reason: "x".repeat(501) },
    ],
    "invoices.delete": [{ ...ok }, { ...ok, id: 42 }],
    "payments.list": [{ ...ok }, { ...ok, invoiceId: "$paymentId" }],
    "payments.create": [
      { ...pay, amount: 0 },
      { ...pay, amount: 10.5 },
      { ...pay, method: "bitcoin" },
      { ...pay, reference: "4111 1111 1111 1111" },
      { ...pay, paidOn: "1999-12-31" },
      { ...pay, paidOn: "0025-06-01" },
      { ...pay, confirmOverpayment: "yes" },
    ],
    "payments.delete": [{ ...ok }, { ...ok, id: "$invoiceId" }],
  };
};

/**
 * Through the API, as a user would: a draft for the target's client with one manual line, and a
 * second invoice, issued, with one part payment.
 */
export async function seedInvoices(s: Seeding): Promise<void> {
  const org = s.target.slug;
  const ok = <T>(what: string, res: { status: number; data: T; error: unknown }) => {
    if (res.status !== 200) throw new Error(`seeding ${org} ${what}: ${JSON.stringify(res.error)}`);
    return res.data;
  };
  const draft = ok("draft", await s.owner.mutate("invoices.create", { org, clientId: s.target.clientId, lines: [line] }));
  s.target.invoiceId = draft.id;
  s.target.invoiceLineId = draft.lines[0].id;
  const issued = ok(
    "invoice",
    await s.owner.mutate("invoices.create", { org, clientId: s.target.clientId, lines: [line], taxRateBp: 1900 }),
  );
  const issuedOn = ok<{ issue_date: string }>("issue", await s.owner.mutate("invoices.issue", { org, id: issued.id })).issue_date;
  const paid = ok(
    "payment",
    await s.owner.mutate("payments.create", { org, invoiceId: issued.id, paidOn: issuedOn, amount: 100, method: "bank_transfer" }),
  );
  s.target.issuedInvoiceId = issued.id;
  s.target.paymentId = paid.payment.id;
}
