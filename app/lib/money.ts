/**
 * Money in and out of every door (forms, procedures, CSV, print). Amounts are integer minor units of
 * the currency (cents for EUR, yen for JPY, fils for KWD, ten-thousandths for CLF): the number of
 * decimals comes from the currency's ISO 4217 exponent as Intl knows it, never from a constant 100.
 * Typed amounts are read strictly in the person's number format (ADR 015): no hex, no exponent, no
 * sign, no guessing which separator was meant — an amount that reads two ways is refused with both.
 */

const formatters = new Map<string, Intl.NumberFormat>();

function formatter(currency: string) {
  let f = formatters.get(currency);
  if (!f) formatters.set(currency, (f = new Intl.NumberFormat("en", { style: "currency", currency })));
  return f;
}

/** Decimals of the currency's minor unit: 2 for EUR, 0 for JPY, 3 for KWD, 4 for CLF. */
export function minorDigits(currency: string): number {
  return formatter(currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/** Invoice amounts stay below 10^13 minor units, so a quotient by 10^digits keeps every digit a double shows. */
const MAX_MINOR = 10_000_000_000_000;

/** 123450 EUR → "€1,234.50"; 1234 JPY → "¥1,234". */
export function formatMoney(minor: number, currency: string): string {
  return formatter(currency).format(minor / 10 ** minorDigits(currency));
}

/** How a locale writes numbers: its decimal and grouping characters and group sizes (3, or 2 after the first for en-IN). */
export interface NumberFormatStyle {
  locale: string;
  decimal: string;
  group: string;
  /** Size of the groups left of the last one: 3 almost everywhere, 2 in Indian grouping (1,00,000). */
  leadingGroup: number;
}

const styles = new Map<string, NumberFormatStyle>();

/** A supported locale tag with Latin digits ("de-DE", "fr", "en-IN"); anything else reads as "en". */
export function numberFormatStyle(locale: string | undefined): NumberFormatStyle {
  const key = locale ?? "en";
  let style = styles.get(key);
  if (style) return style;
  let tag = "en";
  try {
    tag = Intl.NumberFormat.supportedLocalesOf([key])[0] ?? "en";
  } catch {
    tag = "en";
  }
  // Amounts are typed with the digits 0–9 whatever the language (Arabic-Indic digits would read as text).
  const nf = new Intl.NumberFormat(tag, { numberingSystem: "latn", useGrouping: true });
  const parts = nf.formatToParts(1234567.5);
  const decimal = parts.find((p) => p.type === "decimal")?.value ?? ".";
  const group = parts.find((p) => p.type === "group")?.value ?? ",";
  const integers = parts.filter((p) => p.type === "integer").map((p) => p.value);
  const leadingGroup = integers.length > 2 ? integers[integers.length - 2]!.length : 3;
  style = { locale: tag, decimal, group, leadingGroup };
  styles.set(key, style);
  return style;
}

/** The first language of an Accept-Language header that Intl supports, else "en". */
export function localeFromAcceptLanguage(header: string | null | undefined): string {
  for (const part of (header ?? "").split(",")) {
    const tag = part.split(";")[0]!.trim();
    if (!tag || tag === "*") continue;
    try {
      const [supported] = Intl.NumberFormat.supportedLocalesOf([tag]);
      if (supported) return supported;
    } catch {
      // A malformed tag is skipped, as a browser would.
    }
  }
  return "en";
}

/** Amount as an input field shows it, in the person's format and always with the currency's decimals: 1234.5 EUR → "1.234,50" (de). */
export function formatAmountInput(minor: number, currency: string, locale?: string): string {
  const digits = minorDigits(currency);
  const style = numberFormatStyle(locale);
  return new Intl.NumberFormat(style.locale, {
    numberingSystem: "latn",
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
    useGrouping: true,
  }).format(minor / 10 ** digits);
}

export type ParsedAmount = { ok: true; minor: number } | { ok: false; message: string };

const SPACES = /[\s\u00a0\u202f]/g;
/** Space-like group characters (fr, sv, …) are typed as plain spaces; the Swiss ’ as an apostrophe. */
const normaliseGroup = (c: string) => (/[\s\u00a0\u202f]/.test(c) ? " " : c === "\u2019" ? "'" : c);

/**
 * A typed amount → minor units of the currency, or a sentence saying what is wrong. Reads the
 * locale's own format only: "110,50" is 110.50 in de and an error in en (a comma there groups
 * thousands, and "50" is not a group of three). One grouping separator followed by exactly three
 * digits ("1.500" in de, "1,500" in en) could be a thousands group or three decimals: where three
 * decimals are possible (KWD, CLF) it is refused with both readings instead of guessed.
 */
export function parseAmountInput(value: string | undefined, currency: string, locale?: string): ParsedAmount {
  const style = numberFormatStyle(locale);
  const digits = minorDigits(currency);
  const example = formatAmountInput(123_456 * 10 ** Math.max(digits - 2, 0), currency, style.locale);
  let v = (value ?? "").trim();
  // The field's own currency may be typed around the number ("€ 110,50", "110,50 EUR").
  const symbol = formatter(currency)
    .formatToParts(0)
    .find((p) => p.type === "currency")?.value;
  for (const mark of [currency, symbol].filter((m): m is string => !!m)) {
    if (v.toUpperCase().startsWith(mark.toUpperCase())) v = v.slice(mark.length).trim();
    else if (v.toUpperCase().endsWith(mark.toUpperCase())) v = v.slice(0, -mark.length).trim();
  }
  if (v === "") return { ok: false, message: `Enter an amount in ${currency}, such as ${example}.` };
  const read = readDecimal(v, digits, style, example);
  if (!read.ok) {
    const message = read.tooManyDecimals
      ? digits === 0
        ? `${currency} has no decimals: enter a whole amount.`
        : `${currency} has ${digits} decimal${digits === 1 ? "" : "s"}: “${v}” has ${read.tooManyDecimals}.`
      : read.message;
    return { ok: false, message };
  }
  if (read.scaled > MAX_MINOR) return { ok: false, message: "That amount is too large." };
  return { ok: true, minor: read.scaled };
}

type Read = { ok: true; scaled: number } | { ok: false; message: string; tooManyDecimals?: number };

/** The strict reader behind amounts and quantities: a non-negative decimal with at most `digits` decimals, scaled by 10^digits. */
function readDecimal(typed: string, digits: number, style: NumberFormatStyle, example: string): Read {
  const fail = (message: string): Read => ({ ok: false, message });
  const { decimal } = style;
  const group = normaliseGroup(style.group);
  const point = decimal === "," ? "comma" : "point";
  if (/^[-−–]/.test(typed)) return fail("It cannot be negative.");
  if (/^0x/i.test(typed) || /\de/i.test(typed) || /[^0-9.,'’\s\u00a0\u202f]/.test(typed)) {
    return fail(`Use digits${digits > 0 ? ` and a decimal ${point}` : ""} only, such as ${example}.`);
  }
  const v = typed.replace(/\u2019/g, "'").replace(SPACES, " ");
  const decimals = v.split(decimal).length - 1;
  if (decimals > 1) return fail(`“${typed}” has more than one decimal ${point}. Write it like ${example}.`);
  const [whole = "", fraction = ""] = decimals === 1 ? v.split(decimal) : [v, ""];
  if (/[^0-9]/.test(fraction)) return fail(`In your number format the decimal separator is “${decimal}”: write it like ${example}.`);
  const other = decimal === "," ? "." : ",";
  if (other !== group && whole.includes(other)) {
    const looksDecimal = decimals === 0 && new RegExp(`^\\d+\\${other}\\d+$`).test(whole);
    return fail(
      looksDecimal
        ? `In your number format (${style.locale}) the decimal separator is “${decimal}”: write ${whole.replace(other, decimal)}.`
        : `“${typed}” is not a number in your format. Write it like ${example}.`,
    );
  }
  const groups = whole.split(group);
  if (!groups.every((g) => /^\d+$/.test(g))) return fail(`“${typed}” is not a number. Write it like ${example}.`);
  if (groups.length > 1) {
    const [first, ...rest] = groups as [string, ...string[]];
    const last = rest[rest.length - 1]!;
    const wellGrouped =
      first.length <= style.leadingGroup && last.length === 3 && rest.slice(0, -1).every((g) => g.length === style.leadingGroup);
    const separator = group === " " ? "a space" : `“${group}”`;
    if (!wellGrouped) {
      const asDecimal = groups.length === 2 && digits > 0 && decimals === 0 && last.length <= digits;
      return fail(
        asDecimal
          ? `In your number format (${style.locale}) ${separator} separates thousands and the decimal separator is “${decimal}”: write ${first}${decimal}${last}.`
          : `The thousands separators in “${typed}” are not where they belong. Write it like ${example}, or without separators.`,
      );
    }
    // "1,500" in en (or "1.500" in de) with three decimals allowed (KWD, CLF, quantities): a
    // thousands group, or a decimal written the other way? Both readings are amounts, so ask.
    if (groups.length === 2 && decimals === 0 && digits >= 3) {
      return fail(
        `Is “${typed}” ${first}${last} or ${first}${decimal}${last}? Write ${first}${last} without the separator, or ${first}${decimal}${last}.`,
      );
    }
  }
  const integer = groups.join("");
  if (fraction.length > digits) return { ok: false, message: "", tooManyDecimals: fraction.length };
  if (integer.replace(/^0+/, "").length > 15) return fail("That number is too large.");
  const scaled = Number(integer) * 10 ** digits + Number(fraction.padEnd(digits, "0") || "0");
  if (!Number.isSafeInteger(scaled)) return fail("That number is too large.");
  return { ok: true, scaled };
}

/** "1,234.50" → 123450 (EUR, en); undefined when it is not an amount in that currency (see parseAmountInput for the sentence). */
export function parseAmount(value: string | undefined, currency: string, locale?: string): number | undefined {
  const parsed = parseAmountInput(value, currency, locale);
  return parsed.ok ? parsed.minor : undefined;
}

export type ParsedQuantity = { ok: true; thousandths: number } | { ok: false; message: string };

/** A quantity as typed (1, 1.5, "0,25" in de; blank is 1) → thousandths, as strictly as amounts. */
export function parseQuantityInput(value: string | undefined, locale?: string): ParsedQuantity {
  const v = (value ?? "").trim() || "1";
  const style = numberFormatStyle(locale);
  const read = readDecimal(v, 3, style, spellDecimal(style, "1", "5"));
  if (!read.ok) return { ok: false, message: read.tooManyDecimals ? "Use at most three decimals." : read.message };
  if (read.scaled === 0) return { ok: false, message: "Use a quantity above zero." };
  return { ok: true, thousandths: read.scaled };
}

const spellDecimal = (style: NumberFormatStyle, whole: string, fraction: string) => `${whole}${style.decimal}${fraction}`;

/** Basis points → "19 %", "7.5 %". */
export function formatTaxRate(bp: number): string {
  return `${(bp / 100).toLocaleString("en", { maximumFractionDigits: 2 })} %`;
}

/** A tax rate as its field shows it, read back by parseTaxRate: 750 bp → "7.5" (en), "7,5" (de). */
export function formatTaxRateInput(bp: number, locale?: string): string {
  const style = numberFormatStyle(locale);
  return new Intl.NumberFormat(style.locale, { numberingSystem: "latn", maximumFractionDigits: 2, useGrouping: false }).format(bp / 100);
}

/** "19" or "7.5" (percent; "7,5" where the decimal separator is a comma) → basis points; undefined when it is not a rate. */
export function parseTaxRate(value: string | undefined, locale?: string): number | undefined {
  const v = (value ?? "").trim().replace(/\s*%$/, "");
  if (v === "") return 0;
  const decimal = numberFormatStyle(locale).decimal;
  const pattern = new RegExp(`^\\d{1,3}([${decimal === "," ? "," : "."}]\\d{1,2})?$`);
  if (!pattern.test(v)) return undefined;
  const [whole = "0", fraction = ""] = v.split(/[.,]/);
  const bp = Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
  return bp <= 10_000 ? bp : undefined;
}

/**
 * A line's quantity as people read it. Time exactly, as hours, minutes and seconds ("1:00:00 h",
 * "0:20:00 h"): seconds are what it bills, and decimal hours ("0.33 h") would not multiply out to
 * its amount. Other lines in units (thousandths stored).
 */
export function formatQuantity(line: { kind: "time" | "manual"; quantity: number }): string {
  if (line.kind === "time") {
    const s = line.quantity;
    const pad = (n: number) => String(n).padStart(2, "0");
    return `${Math.floor(s / 3600).toLocaleString("en")}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)} h`;
  }
  return (line.quantity / 1000).toLocaleString("en", { maximumFractionDigits: 3 });
}

/** An amount as a plain decimal for CSV and machines: 123456 EUR → "1234.56", JPY → "123456". */
export function majorUnits(minor: number, currency: string) {
  const digits = minorDigits(currency);
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  if (digits === 0) return `${sign}${abs}`;
  const unit = 10 ** digits;
  return `${sign}${Math.floor(abs / unit)}.${String(abs % unit).padStart(digits, "0")}`;
}

export const INVOICE_STATUS_LABEL = { draft: "Draft", issued: "Issued", paid: "Paid", void: "Void" } as const;

export const PAYMENT_METHOD_LABEL = {
  bank_transfer: "Bank transfer",
  card: "Card",
  cash: "Cash",
  cheque: "Cheque",
  other: "Other",
} as const;
