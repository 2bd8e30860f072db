import { minorDigits } from "../../app/lib/money";

/**
 * Invoice arithmetic in integer minor units (cents for EUR, yen for JPY, fils for KWD): no floats
 * touch an amount. Products go through BigInt, so seconds × rate cannot lose precision however
 * large the line, and every result is checked to fit in a safe JavaScript integer.
 *
 * Rounding rule (one rule, written once; docs/decisions/017-one-rounding-rule.md): each time entry's
 * amount is its seconds × its stored hourly rate ÷ 3600, rounded to the minor unit half-up (0.5 of
 * a minor unit goes up; all values are non-negative, so this is also "half away from zero"). A time
 * line is the sum of its entries' amounts, as is every report total, so any grouping agrees to the
 * minor unit. A manual line is rounded once. The tax is computed once, on the subtotal, never per
 * line, so the invoice's tax is exactly what its printed subtotal and rate say.
 */

/** The largest amount an invoice may carry: 10^13 minor units (100 billion EUR), far inside 2^53. */
export const MAX_AMOUNT = 10_000_000_000_000;

/** Basis points in one whole: 1900 bp = 19 %. */
export const BASIS_POINTS = 10_000;

/** Time lines: quantity is seconds, the unit price is per hour. */
export const SECONDS_PER_HOUR = 3600;
/** Manual lines: quantity is thousandths of a unit (1.5 pieces = 1500), the unit price is per unit. */
export const THOUSANDTHS = 1000;

export type LineKind = "time" | "manual";

export class AmountTooLargeError extends Error {
  override name = "AmountTooLargeError";
  constructor() {
    super("That amount is too large for an invoice.");
  }
}

function toSafe(value: bigint): number {
  if (value > BigInt(MAX_AMOUNT)) throw new AmountTooLargeError();
  return Number(value);
}

function nonNegativeInteger(value: number, what: string) {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative safe integer, got ${value}`);
}

/** round_half_up(a × b ÷ d) for non-negative integers, exactly: floor((2ab + d) ÷ 2d). */
export function mulDivHalfUp(a: number, b: number, d: number): number {
  nonNegativeInteger(a, "a");
  nonNegativeInteger(b, "b");
  if (!Number.isSafeInteger(d) || d <= 0) throw new RangeError(`divisor must be a positive integer, got ${d}`);
  const twice = 2n * BigInt(a) * BigInt(b) + BigInt(d);
  return toSafe(twice / (2n * BigInt(d)));
}

export function divisorOf(kind: LineKind) {
  return kind === "time" ? SECONDS_PER_HOUR : THOUSANDTHS;
}

/** An already-rounded amount (a sum of entries' amounts) that an invoice can carry, or AmountTooLargeError. */
export function invoiceAmount(amount: number): number {
  nonNegativeInteger(amount, "amount");
  return toSafe(BigInt(amount));
}

/** A line's amount: seconds × hourly rate ÷ 3600, or thousandths × unit price ÷ 1000, rounded half-up. */
export function lineAmount(kind: LineKind, quantity: number, unitPrice: number): number {
  return mulDivHalfUp(quantity, unitPrice, divisorOf(kind));
}

/** Tax on the subtotal at a rate in basis points, rounded half-up once. */
export function taxOf(subtotal: number, taxRateBp: number): number {
  if (!Number.isSafeInteger(taxRateBp) || taxRateBp < 0 || taxRateBp > BASIS_POINTS)
    throw new RangeError(`tax rate out of range: ${taxRateBp}`);
  return mulDivHalfUp(subtotal, taxRateBp, BASIS_POINTS);
}

export interface Totals {
  subtotal: number;
  tax: number;
  total: number;
}

/** The invoice's totals from its (already rounded) line amounts. */
export function totalsOf(lineAmounts: readonly number[], taxRateBp: number): Totals {
  let sum = 0n;
  for (const amount of lineAmounts) {
    nonNegativeInteger(amount, "line amount");
    sum += BigInt(amount);
  }
  const subtotal = toSafe(sum);
  const tax = taxOf(subtotal, taxRateBp);
  return { subtotal, tax, total: toSafe(BigInt(subtotal) + BigInt(tax)) };
}

/**
 * A decimal quantity as typed (1, 1.5, 0.125) → thousandths, or undefined when it has more than three
 * decimals: 0.1 × 1000 is 100.00000000000001 in floating point, so the check allows for that.
 */
export function toThousandths(quantity: number): number | undefined {
  if (!Number.isFinite(quantity)) return undefined;
  const scaled = Math.round(quantity * THOUSANDTHS);
  return Math.abs(scaled - quantity * THOUSANDTHS) < 1e-6 ? scaled : undefined;
}

/** The currency's minor unit as a decimal: "1" for JPY, "0.01" for EUR, "0.001" for KWD. */
export function minorUnitOf(currency: string): string {
  const digits = minorDigits(currency);
  return digits === 0 ? "1" : `0.${"0".repeat(digits - 1)}1`;
}

/** Invoice numbers: INV-2026-0001. Four digits at least; the 10,000th invoice of a year gets five. */
export function invoiceNumber(year: number, sequence: number): string {
  return `INV-${year}-${String(sequence).padStart(4, "0")}`;
}
