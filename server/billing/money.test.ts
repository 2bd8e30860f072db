import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AmountTooLargeError, invoiceNumber, lineAmount, MAX_AMOUNT, mulDivHalfUp, taxOf, toThousandths, totalsOf } from "./money";

/** The rule written the long way: exact quotient, remainder, and up when the remainder is at least half. */
function reference(a: number, b: number, d: number) {
  const product = BigInt(a) * BigInt(b);
  const q = product / BigInt(d);
  const r = product % BigInt(d);
  return Number(2n * r >= BigInt(d) ? q + 1n : q);
}

describe("mulDivHalfUp", () => {
  it("rounds exact halves up, everything else to the nearest minor unit", () => {
    expect(mulDivHalfUp(1, 1800, 3600)).toBe(1); // 0.5 → 1 (half-even would give 0)
    expect(mulDivHalfUp(3, 1800, 3600)).toBe(2); // 1.5 → 2
    expect(mulDivHalfUp(5, 1800, 3600)).toBe(3); // 2.5 → 3 (half-even would give 2)
    expect(mulDivHalfUp(1, 1799, 3600)).toBe(0); // 0.4997 → 0
    expect(mulDivHalfUp(1234, 9999, 3600)).toBe(3427); // 3427.435 → 3427
    expect(mulDivHalfUp(0, 12050, 3600)).toBe(0);
  });

  it("matches the exact rational rule for any non-negative integers", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.constantFrom(1, 3, 7, 1000, 3600, 10_000),
        (a, b, d) => {
          const exact = reference(a, b, d);
          if (exact > MAX_AMOUNT) expect(() => mulDivHalfUp(a, b, d)).toThrow(AmountTooLargeError);
          else expect(mulDivHalfUp(a, b, d)).toBe(exact);
        },
      ),
    );
  });

  it("is exact where floating point is not", () => {
    // 1.005 × 100 in floating point is 100.49999…; in integers 201 × 5 ÷ 10 is exactly 100.5 → 101.
    expect(mulDivHalfUp(201, 5, 10)).toBe(101);
    // Near 2^53 a float product loses the last digits; BigInt does not.
    expect(mulDivHalfUp(9_000_000_000, 1_000_000, 1_000_000)).toBe(9_000_000_000);
  });

  it("refuses results above the invoice limit and inputs that are not non-negative integers", () => {
    expect(() => mulDivHalfUp(MAX_AMOUNT, 2, 1)).toThrow(AmountTooLargeError);
    expect(mulDivHalfUp(MAX_AMOUNT, 1, 1)).toBe(MAX_AMOUNT);
    expect(() => mulDivHalfUp(-1, 1, 1)).toThrow(RangeError);
    expect(() => mulDivHalfUp(1.5, 1, 1)).toThrow(RangeError);
    expect(() => mulDivHalfUp(1, 1, 0)).toThrow(RangeError);
  });
});

describe("lines and totals", () => {
  it("prices time per hour and manual lines per unit in thousandths", () => {
    expect(lineAmount("time", 5400, 12050)).toBe(18075); // 1.5 h × 120.50
    expect(lineAmount("time", 1, 9000)).toBe(3); // 2.5 → 3
    expect(lineAmount("manual", 1500, 333)).toBe(500); // 1.5 × 3.33 = 4.995 → 5.00
    expect(lineAmount("manual", 333, 100)).toBe(33);
  });

  it("taxes the subtotal once, half-up", () => {
    expect(taxOf(150, 1900)).toBe(29); // 28.5 → 29
    expect(taxOf(35005, 1900)).toBe(6651); // 6650.95
    expect(taxOf(1, 5000)).toBe(1);
    expect(totalsOf([1, 1], 5000)).toEqual({ subtotal: 2, tax: 1, total: 3 }); // per line would be 2
    expect(totalsOf([], 1900)).toEqual({ subtotal: 0, tax: 0, total: 0 });
    expect(() => taxOf(100, 10_001)).toThrow(RangeError);
  });

  it("keeps total = subtotal + tax, and the tax within half a minor unit of the exact value", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000_000_000 }), { maxLength: 50 }),
        fc.integer({ min: 0, max: 10_000 }),
        (amounts, bp) => {
          const t = totalsOf(amounts, bp);
          expect(t.subtotal).toBe(amounts.reduce((s, a) => s + a, 0));
          expect(t.total).toBe(t.subtotal + t.tax);
          expect(Math.abs(t.tax * 10_000 - t.subtotal * bp)).toBeLessThanOrEqual(5_000);
        },
      ),
    );
  });

  it("refuses a sum of lines above the limit", () => {
    expect(() => totalsOf([MAX_AMOUNT, 1], 0)).toThrow(AmountTooLargeError);
    expect(() => totalsOf([MAX_AMOUNT], 1)).toThrow(AmountTooLargeError);
  });
});

describe("quantities and numbers", () => {
  it("reads up to three decimals exactly, despite binary floating point", () => {
    expect(toThousandths(1)).toBe(1000);
    expect(toThousandths(0.1)).toBe(100);
    expect(toThousandths(1.005)).toBe(1005);
    expect(toThousandths(0.333)).toBe(333);
    expect(toThousandths(1.0005)).toBeUndefined();
    expect(toThousandths(Number.NaN)).toBeUndefined();
  });

  it("formats numbers with four digits at least", () => {
    expect(invoiceNumber(2026, 1)).toBe("INV-2026-0001");
    expect(invoiceNumber(2026, 9999)).toBe("INV-2026-9999");
    expect(invoiceNumber(2027, 10_000)).toBe("INV-2027-10000");
  });
});
