import { TZDate } from "@date-fns/tz";

/**
 * Calendar arithmetic in the organisation's time zone. Instants are stored as UTC ms; a "date" is a
 * local calendar day ("YYYY-MM-DD") and a "time" a local wall-clock time ("HH:MM"). A day is
 * [local midnight, next local midnight), which is 23 or 25 hours long on DST change days.
 */

const pad = (n: number) => String(n).padStart(2, "0");

function parts(date: string): [number, number, number] {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return [y, m, d];
}

/** The instant of a local wall-clock time; a time skipped by a DST change moves forward, as clocks do. */
export function localInstant(date: string, time: string, zone: string): number {
  const [y, m, d] = parts(date);
  const [hh, mm] = time.split(":").map(Number) as [number, number];
  return new TZDate(y, m - 1, d, hh, mm, 0, zone).getTime();
}

/** Local midnight at the start of `date`. */
export function dayStart(date: string, zone: string): number {
  return localInstant(date, "00:00", zone);
}

/** Local midnight at the end of `date` (exclusive bound). */
export function dayEnd(date: string, zone: string): number {
  return dayStart(addDays(date, 1), zone);
}

/** The local calendar day an instant falls on. */
export function localDate(ms: number, zone: string): string {
  const t = new TZDate(ms, zone);
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}`;
}

/** The local wall-clock time of an instant, "HH:MM". */
export function localTime(ms: number, zone: string): string {
  const t = new TZDate(ms, zone);
  return `${pad(t.getHours())}:${pad(t.getMinutes())}`;
}

/** Pure calendar arithmetic on dates (no zone involved: a date plus n days is a date). */
export function addDays(date: string, n: number): string {
  const [y, m, d] = parts(date);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999.
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d + n);
  return t.toISOString().slice(0, 10);
}

/** ISO weekday of a date: 1 = Monday … 7 = Sunday. */
function isoWeekday(date: string): number {
  const [y, m, d] = parts(date);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay() || 7;
}

/** The week (first and last date) holding `date`, for a week that starts on `weekStart` (1 = Monday). */
export function weekOf(date: string, weekStart: number): { from: string; to: string } {
  const from = addDays(date, -((isoWeekday(date) - weekStart + 7) % 7));
  return { from, to: addDays(from, 6) };
}
