import { TZDate } from "@date-fns/tz";

/**
 * Calendar dates (YYYY-MM-DD) on invoices are days in the organisation's time zone; instants in the
 * database are UTC milliseconds. These two functions are the only bridge between them here.
 */

function parts(date: string) {
  const [y, m, d] = date.split("-").map(Number);
  return { y: y!, m: m!, d: d! };
}

/**
 * The first instant of a calendar day in a zone. Where midnight does not exist (a DST jump at 00:00,
 * e.g. America/Santiago) it is the first instant that does.
 */
export function startOfDayIn(timeZone: string, date: string): number {
  const { y, m, d } = parts(date);
  return new TZDate(y, m - 1, d, timeZone).getTime();
}

/** The instant after the last of a calendar day in a zone (an exclusive bound; days can be 23 or 25 hours). */
export function endOfDayIn(timeZone: string, date: string): number {
  const { y, m, d } = parts(date);
  return new TZDate(y, m - 1, d + 1, timeZone).getTime();
}

/** The calendar day an instant falls on in a zone. */
export function dateIn(timeZone: string, ms: number): string {
  const t = new TZDate(ms, timeZone);
  return `${String(t.getFullYear()).padStart(4, "0")}-${String(t.getMonth() + 1).padStart(2, "0")}-${String(t.getDate()).padStart(2, "0")}`;
}
