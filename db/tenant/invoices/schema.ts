import type { Selectable } from "kysely";

export type InvoiceStatus = "draft" | "issued" | "paid" | "void";
export type PaymentMethod = "bank_transfer" | "card" | "cash" | "cheque" | "other";

/** Money is integer minor units of `currency`; calendar dates are YYYY-MM-DD in the organisation's zone. */
export interface InvoicesTable {
  id: string;
  client_id: string;
  /** INV-2026-0001, given at issue; null while a draft. */
  number: string | null;
  status: InvoiceStatus;
  /** ISO 4217, copied from the organisation's settings when the draft was made. */
  currency: string;
  /** Basis points: 1900 = 19 %. */
  tax_rate_bp: number;
  subtotal: number;
  tax: number;
  total: number;
  /** The date range whose time was taken, if any. */
  period_from: string | null;
  period_to: string | null;
  issue_date: string | null;
  due_date: string | null;
  notes: string;
  issued_at: number | null;
  paid_at: number | null;
  voided_at: number | null;
  void_reason: string | null;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

export interface InvoiceLinesTable {
  id: string;
  invoice_id: string;
  position: number;
  /** time: quantity is seconds, unit_price per hour; manual: quantity is thousandths of a unit. */
  kind: "time" | "manual";
  description: string;
  /** Time lines only: the project whose entries (at this unit_price) the line bills. */
  project_id: string | null;
  quantity: number;
  unit_price: number;
  amount: number;
}

/** The last number given in each calendar year. */
export interface InvoiceCountersTable {
  year: number;
  last_number: number;
}

export interface PaymentsTable {
  id: string;
  invoice_id: string;
  paid_on: string;
  amount: number;
  method: PaymentMethod;
  reference: string;
  note: string;
  created_by: string | null;
  created_at: number;
}

/** Tables of the invoices domain (invoices, lines, payments, numbering). */
export interface InvoiceTables {
  invoices: InvoicesTable;
  invoice_lines: InvoiceLinesTable;
  invoice_counters: InvoiceCountersTable;
  payments: PaymentsTable;
}

export type InvoiceRow = Selectable<InvoicesTable>;
export type InvoiceLineRow = Selectable<InvoiceLinesTable>;
export type PaymentRow = Selectable<PaymentsTable>;
