/**
 * CSV for people who will open it in a spreadsheet (RFC 4180, CRLF line ends).
 *
 * Formula injection: a cell that starts with = + - @ (or a tab or carriage return, which some
 * spreadsheets skip before evaluating) would run as a formula when opened, so it gets a leading
 * apostrophe and is shown as text. Audit data is partly user-controlled (names, user agents), so
 * every cell goes through this.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text =
    typeof value === "string"
      ? value
      : typeof value === "number" || typeof value === "bigint" || typeof value === "boolean"
        ? String(value)
        : (JSON.stringify(value) ?? "");
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Header and rows as one string. Starts with a UTF-8 byte-order mark so spreadsheet programs read
 * non-ASCII names correctly.
 */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const lines = [header, ...rows].map((row) => row.map(csvCell).join(","));
  return `\uFEFF${lines.join("\r\n")}\r\n`;
}
