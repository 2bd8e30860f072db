/**
 * Money on screen: amounts are integer minor units of the invoice's currency (cents for EUR, yen for
 * JPY, fils for KWD), so the number of decimals comes from the currency, never from a constant 100.
 */

const formatters = new Map<string, Intl.NumberFormat>();

function formatter(currency: string) {
  let f = formatters.get(currency);
  if (!f) formatters.set(currency, (f = new Intl.NumberFormat("en", { style: "currency", currency })));
  return f;
}

/** Decimals of the currency's minor unit: 2 for EUR, 0 for JPY, 3 for KWD. */
export function minorDigits(currency: string): number {
  return formatter(currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/** 123450 EUR → "€1,234.50"; 1234 JPY → "¥1,234". */
export function formatMoney(minor: number, currency: string): string {
  // Invoice amounts stay below 10^13 minor units, so the quotient keeps every digit a double can show.
  return formatter(currency).format(minor / 10 ** minorDigits(currency));
}

/** "1,234.50" → 123450 (EUR); undefined when it is not an amount in that currency. */
export function parseAmount(value: string | undefined, currency: string): number | undefined {
  const v = (value ?? "").replace(/[\s,]/g, "");
  const digits = minorDigits(currency);
  const pattern = digits === 0 ? /^\d{1,13}$/ : new RegExp(`^\\d{1,13}(\\.\\d{1,${digits}})?$`);
  if (!pattern.test(v)) return undefined;
  const [whole = "0", fraction = ""] = v.split(".");
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, "0") || "0");
}

/** Basis points → "19 %", "7.5 %". */
export function formatTaxRate(bp: number): string {
  return `${(bp / 100).toLocaleString("en", { maximumFractionDigits: 2 })} %`;
}

/** "19" or "7.5" (percent) → basis points; undefined when it is not a rate. */
export function parseTaxRate(value: string | undefined): number | undefined {
  const v = (value ?? "").trim().replace(/\s*%$/, "");
  if (v === "") return 0;
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(v)) return undefined;
  const [whole = "0", fraction = ""] = v.split(".");
  const bp = Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
  return bp <= 10_000 ? bp : undefined;
}

/** A line's quantity as people read it: hours for time, units (thousandths stored) otherwise. */
export function formatQuantity(line: { kind: "time" | "manual"; quantity: number }): string {
  if (line.kind === "time") return `${(line.quantity / 3600).toLocaleString("en", { maximumFractionDigits: 2 })} h`;
  return (line.quantity / 1000).toLocaleString("en", { maximumFractionDigits: 3 });
}

export const INVOICE_STATUS_LABEL = { draft: "Draft", issued: "Issued", paid: "Paid", void: "Void" } as const;

export const PAYMENT_METHOD_LABEL = {
  bank_transfer: "Bank transfer",
  card: "Card",
  cash: "Cash",
  cheque: "Cheque",
  other: "Other",
} as const;
