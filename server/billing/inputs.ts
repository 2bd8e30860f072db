import { z } from "zod";
import { idSchema } from "../routers/inputs";
import { MAX_AMOUNT, toThousandths } from "./money";
import { CARD_NUMBER_MESSAGE, containsCardNumber } from "./pan";

/** Input pieces of the invoices and payments procedures. Money is integer minor units throughout. */

export const invoiceId = idSchema("i");
export const lineId = idSchema("n");
export const paymentId = idSchema("y");

export const isoDate = z.iso.date("Use a date such as 2026-01-31.");

export const invoiceStatus = z.enum(["draft", "issued", "paid", "void"]);

export const taxRateBp = z
  .number()
  .int("Use whole basis points (1900 = 19 %).")
  .min(0, "A tax rate cannot be negative.")
  .max(10_000, "Use at most 10000 basis points (100 %).");

const minorUnits = z.number().int("Use whole minor units (cents).").max(MAX_AMOUNT, "That amount is too large.");

export const manualLine = z.object({
  description: z.string().trim().min(1, "Required.").max(500, "Use at most 500 characters."),
  /** Up to three decimals (1.5 hours of a fixed-price item, 0.25 of a licence); stored in thousandths. */
  quantity: z
    .number()
    .positive("Use a quantity above zero.")
    .max(1_000_000, "Use a quantity up to 1,000,000.")
    .refine((q) => (toThousandths(q) ?? 0) > 0, "Use at most three decimals."),
  unitPrice: minorUnits.min(0, "A price cannot be negative."),
});

/** A date range of days in the organisation's time zone, both ends included. */
export const dateRange = { from: isoDate, to: isoDate };
export const rangeInOrder = (v: { from?: string; to?: string }) => v.from === undefined || v.to === undefined || v.from <= v.to;
export const RANGE_ORDER = { message: "The end of the range is before its start.", path: ["to"] };

/** Free text of a payment: never a card number (PCI DSS: a PAN stored in plain text is a breach waiting). */
const noCardNumber = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `Use at most ${max} characters.`)
    .refine((v) => !containsCardNumber(v), CARD_NUMBER_MESSAGE);

/** Payment dates are four-digit years in this range (the same window as time entries and reports). */
export const PAYMENT_YEARS = { min: 2000, max: 2100 } as const;

export const paymentFields = {
  invoiceId,
  paidOn: isoDate.refine((d) => {
    const year = Number(d.slice(0, 4));
    return year >= PAYMENT_YEARS.min && year <= PAYMENT_YEARS.max;
  }, `Use a date between ${PAYMENT_YEARS.min} and ${PAYMENT_YEARS.max}.`),
  amount: minorUnits.positive("A payment must be above zero."),
  /** A payment dated after today is recorded only when the person says so (a post-dated cheque). */
  confirmFutureDate: z.boolean().default(false),
  /** A payment above the balance is recorded only when the person says so; the excess is the client's credit. */
  confirmOverpayment: z.boolean().default(false),
  method: z.enum(["bank_transfer", "card", "cash", "cheque", "other"], "Choose bank transfer, card, cash, cheque or other."),
  reference: noCardNumber(200).default(""),
  note: noCardNumber(1000).default(""),
};
