import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatAmountInput,
  localeFromAcceptLanguage,
  minorDigits,
  parseAmountInput,
  parseQuantityInput,
  formatTaxRateInput,
  parseTaxRate,
} from "../../app/lib/money";

/** One module for every door (issue 26 item 1, issue 30 item 1): amounts by ISO 4217 exponent, read strictly in the person's format. */

const minor = (v: string, currency: string, locale?: string) => {
  const r = parseAmountInput(v, currency, locale);
  return r.ok ? r.minor : r.message;
};

describe("currencies' decimals come from ISO 4217, not from 100", () => {
  it("knows JPY 0, EUR 2, KWD 3, CLF 4", () => {
    expect(["JPY", "EUR", "KWD", "CLF"].map(minorDigits)).toEqual([0, 2, 3, 4]);
  });

  it("reads ¥10,000 as 10000 yen and 10 KWD as 10000 fils (the forms used to multiply by 100)", () => {
    expect(minor("10000", "JPY", "en")).toBe(10_000);
    expect(minor("10,000", "JPY", "en")).toBe(10_000);
    expect(minor("¥10,000", "JPY", "en")).toBe(10_000);
    expect(minor("10", "KWD", "en")).toBe(10_000);
    expect(minor("10.000", "KWD", "en")).toBe(10_000);
    expect(minor("1.2345", "CLF", "en")).toBe(12_345);
    expect(minor("10.5", "JPY", "en")).toBe("JPY has no decimals: enter a whole amount.");
    expect(minor("1.23456", "CLF", "en")).toBe("CLF has 4 decimals: “1.23456” has 5.");
  });
});

describe("strict decimals in the person's number format", () => {
  it('reads "110,50" in a German-locale EUR organisation as 110.50, never 11050', () => {
    expect(minor("110,50", "EUR", "de-DE")).toBe(11_050);
    expect(minor("49,90", "EUR", "de")).toBe(4_990);
    expect(minor("500,00", "EUR", "de")).toBe(50_000);
    expect(minor("1.234,50", "EUR", "de")).toBe(123_450);
    expect(minor("€ 110,50", "EUR", "de")).toBe(11_050);
  });

  it("refuses the other convention with a sentence that says how to write it", () => {
    expect(minor("110,50", "EUR", "en")).toBe(
      "In your number format (en) “,” separates thousands and the decimal separator is “.”: write 110.50.",
    );
    expect(minor("110.50", "EUR", "de")).toBe(
      "In your number format (de) “.” separates thousands and the decimal separator is “,”: write 110,50.",
    );
    expect(minor("110.50", "EUR", "fr")).toBe("In your number format (fr) the decimal separator is “,”: write 110,50.");
    expect(minor("1,2,3", "EUR", "en")).toMatch(/thousands separators in “1,2,3” are not where they belong/);
    expect(minor("1,5.5", "EUR", "de")).toMatch(/more than one decimal comma|decimal separator/);
  });

  it("asks instead of guessing when one group of three could be decimals (three-decimal currencies, quantities)", () => {
    expect(minor("1,500", "KWD", "en")).toBe("Is “1,500” 1500 or 1.500? Write 1500 without the separator, or 1.500.");
    expect(minor("1.500", "KWD", "de")).toBe("Is “1.500” 1500 or 1,500? Write 1500 without the separator, or 1,500.");
    expect(parseQuantityInput("1,500", "en")).toEqual({ ok: false, message: expect.stringMatching(/^Is “1,500” 1500 or 1\.500\?/) });
    // Where three decimals are impossible the group is a group.
    expect(minor("1,500", "EUR", "en")).toBe(150_000);
    expect(minor("1.500", "EUR", "de")).toBe(150_000);
  });

  it("refuses hex, exponents, signs and stray characters", () => {
    for (const typed of ["0x10", "1e3", "1E3", "-5", "12abc", "Infinity", "NaN", "+5"]) {
      const r = parseAmountInput(typed, "EUR", "en");
      expect([typed, r.ok]).toEqual([typed, false]);
    }
    expect(parseQuantityInput("0x10", "en").ok).toBe(false);
    expect(parseQuantityInput("1e3", "en").ok).toBe(false);
    expect(parseQuantityInput("1.0005", "en")).toEqual({ ok: false, message: "Use at most three decimals." });
    expect(parseQuantityInput("0", "en")).toEqual({ ok: false, message: "Use a quantity above zero." });
    expect(parseQuantityInput("", "en")).toEqual({ ok: true, thousandths: 1000 });
    expect(parseQuantityInput("0,25", "de")).toEqual({ ok: true, thousandths: 250 });
    expect(minor("", "EUR", "en")).toBe("Enter an amount in EUR, such as 1,234.56.");
    expect(minor("99999999999999999", "EUR", "en")).toBe("That number is too large.");
  });

  it("takes the locale from Accept-Language, Latin digits whatever the language", () => {
    expect(localeFromAcceptLanguage("de-DE,de;q=0.9,en;q=0.8")).toBe("de-DE");
    expect(localeFromAcceptLanguage("*")).toBe("en");
    expect(localeFromAcceptLanguage(undefined)).toBe("en");
    expect(localeFromAcceptLanguage("not a tag!!, fr-CH")).toBe("fr-CH");
    expect(formatAmountInput(123_456, "EUR", "ar-EG")).toMatch(/^[0-9.,\u066b\u066c\u00a0\s]+$/);
  });

  it("reads tax rates with the locale's decimal separator", () => {
    expect(parseTaxRate("7,5", "de")).toBe(750);
    expect(parseTaxRate("7.5", "en")).toBe(750);
    expect(parseTaxRate("7,5", "en")).toBeUndefined();
    expect(parseTaxRate("1e2", "en")).toBeUndefined();
    for (const locale of ["en", "de", "fr", "de-CH"])
      for (const bp of [0, 750, 1900, 1925, 10_000])
        expect([locale, parseTaxRate(formatTaxRateInput(bp, locale), locale)]).toEqual([locale, bp]);
  });
});

describe("parse ∘ format round-trips (fast-check)", () => {
  const CURRENCIES = ["JPY", "EUR", "KWD", "CLF"] as const;
  const LOCALES = [
    "en",
    "en-US",
    "en-GB",
    "en-IN",
    "de-DE",
    "de-CH",
    "fr-FR",
    "es-ES",
    "it-IT",
    "nl-NL",
    "pt-BR",
    "sv-SE",
    "pl-PL",
    "ja-JP",
  ];

  it("every amount up to the invoice limit comes back exactly, in every currency and locale", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CURRENCIES),
        fc.constantFrom(...LOCALES),
        fc.oneof(fc.integer({ min: 0, max: 10_000_000_000_000 }), fc.integer({ min: 0, max: 100_000 })),
        (currency, locale, amount) => {
          const shown = formatAmountInput(amount, currency, locale);
          expect([shown, parseAmountInput(shown, currency, locale)]).toEqual([shown, { ok: true, minor: amount }]);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("never reads a typed amount as 100× (or 1/100 of) what the same digits say in the person's format", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CURRENCIES),
        fc.constantFrom(...LOCALES),
        fc.integer({ min: 1, max: 1_000_000_000 }),
        (currency, locale, amount) => {
          // The same value written without grouping, with the locale's decimal separator: a person's typing.
          const digits = minorDigits(currency);
          const decimal = new Intl.NumberFormat(locale).formatToParts(1.5).find((p) => p.type === "decimal")!.value;
          const whole = Math.floor(amount / 10 ** digits);
          const fraction = String(amount % 10 ** digits).padStart(digits, "0");
          const typed = digits === 0 ? String(whole) : `${whole}${decimal}${fraction}`;
          expect(parseAmountInput(typed, currency, locale)).toEqual({ ok: true, minor: amount });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("whatever is typed, the answer is an exact non-negative integer of minor units or a sentence, never a throw", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CURRENCIES),
        fc.constantFrom(...LOCALES),
        fc.stringMatching(/^[0-9.,' \u00a0exX+-]{0,16}$/),
        (currency, locale, typed) => {
          const r = parseAmountInput(typed, currency, locale);
          if (r.ok) {
            expect(Number.isSafeInteger(r.minor) && r.minor >= 0).toBe(true);
            expect(typed).not.toMatch(/[eExX+-]/);
          } else expect(r.message.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
