import { formatQuantity } from "./money";

/**
 * A time line's quantity exactly, as hours, minutes and seconds ("1:00:00 h", "0:20:00 h"): seconds
 * are what it bills, and decimal hours to two places ("0.33 h") would not multiply out to its amount.
 */
export function formatLineQuantity(line: { kind: "time" | "manual"; quantity: number }): string {
  if (line.kind !== "time") return formatQuantity(line);
  const s = line.quantity;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${Math.floor(s / 3600).toLocaleString("en")}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)} h`;
}
