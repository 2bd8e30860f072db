import { TRPCError } from "@trpc/server";
import { formatMoney } from "../../app/lib/money";
import { badRequest } from "../trpc/errors";
import { label } from "./rules";

/**
 * What an accountant accepts as a payment (issue 26): dated on or after the invoice's issue date and
 * not after today unless confirmed (and never more than a year ahead); at most the balance unless an
 * overpayment is confirmed, which makes the excess the client's credit; and never more than the
 * balance plus the invoice's total, so a slipped zero (€100,000,000,000 on €1.00) is refused outright.
 */

/** A confirmed post-dated payment (a cheque dated ahead) may be at most this far after today. */
export const MAX_DAYS_AHEAD = 366;

/** Which confirmation a refused payment needs; carried as the error's cause so a form can ask for it. */
export type PaymentConfirmation = "future_date" | "overpayment";

export class ConfirmationNeeded extends Error {
  override name = "ConfirmationNeeded";
  constructor(readonly confirm: PaymentConfirmation) {
    super(`needs confirmation: ${confirm}`);
  }
}

const needsConfirmation = (confirm: PaymentConfirmation, message: string) =>
  new TRPCError({ code: "CONFLICT", message, cause: new ConfirmationNeeded(confirm) });

function daysBetween(from: string, to: string) {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export interface PaymentAttempt {
  invoice: { number: string | null; issue_date: string | null; total: number; paid: number; currency: string; client_name: string };
  paidOn: string;
  amount: number;
  /** Today in the organisation's time zone. */
  today: string;
  confirmFutureDate: boolean;
  confirmOverpayment: boolean;
}

/** Throws a readable refusal, or answers the credit (minor units) this payment leaves the client. */
export function checkPayment(p: PaymentAttempt): { credit: number } {
  const { invoice, amount, paidOn, today } = p;
  const money = (minor: number) => formatMoney(minor, invoice.currency);
  if (invoice.issue_date !== null && paidOn < invoice.issue_date) {
    throw badRequest(`A payment cannot be dated ${paidOn}, before ${label(invoice)} was issued on ${invoice.issue_date}.`);
  }
  if (paidOn > today) {
    if (daysBetween(today, paidOn) > MAX_DAYS_AHEAD) throw badRequest(`A payment can be dated at most a year ahead; ${paidOn} is further.`);
    if (!p.confirmFutureDate) {
      throw needsConfirmation("future_date", `${paidOn} is after today (${today}). Confirm the date to record a payment dated ahead.`);
    }
  }
  const balance = Math.max(invoice.total - invoice.paid, 0);
  // A client may pay twice by mistake, so the excess may reach the invoice's total; more is a typing slip.
  const ceiling = balance + invoice.total;
  if (amount > ceiling) {
    throw badRequest(
      `${money(amount)} is far more than the balance of ${money(balance)} (at most ${money(ceiling)}, the balance plus the invoice's total, can be recorded). Check the amount.`,
    );
  }
  const credit = amount - balance;
  if (credit > 0 && !p.confirmOverpayment) {
    throw needsConfirmation(
      "overpayment",
      `${money(amount)} is ${money(credit)} more than the balance of ${money(balance)}. Confirm the overpayment to record ${money(credit)} as a credit for ${invoice.client_name}.`,
    );
  }
  return { credit: Math.max(credit, 0) };
}
