import { TZDate } from "@date-fns/tz";

/**
 * Calendar periods of a report in the organisation's time zone. A range is two local dates,
 * inclusive; instants are UTC ms. A local day is [local midnight, next local midnight), 23 or 25
 * hours long on DST change days; where midnight does not exist it starts at the first instant that does.
 */

export interface DateRange {
  from: string;
  to: string;
}

/** One bucket of a week/month report: `key` is the week's first date or the month ("2024-05"). */
export interface Period {
  key: string;
  from: string;
  to: string;
  startMs: number;
  endMs: number;
}

const pad = (n: number) => String(n).padStart(2, "0");

function parts(date: string): [number, number, number] {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return [y, m, d];
}

/** A UTC date whose year stays as given: Date.UTC reads years 0–99 as 1900–1999 ("0025" became 1925). */
function utcDate(y: number, m: number, d: number): Date {
  const t = new Date(0);
  t.setUTCFullYear(y, m, d);
  return t;
}

/** Calendar arithmetic on dates; no zone involved. */
export function addDays(date: string, n: number): string {
  const [y, m, d] = parts(date);
  return utcDate(y, m - 1, d + n)
    .toISOString()
    .slice(0, 10);
}

/** The first local date `years` later (29 February becomes 1 March). */
export function addYears(date: string, years: number): string {
  const [y, m, d] = parts(date);
  return utcDate(y + years, m - 1, d)
    .toISOString()
    .slice(0, 10);
}

export function dayStart(date: string, zone: string): number {
  const [y, m, d] = parts(date);
  return new TZDate(y, m - 1, d, zone).getTime();
}

/** The local calendar day an instant falls on. */
export function localDate(ms: number, zone: string): string {
  const t = new TZDate(ms, zone);
  return `${String(t.getFullYear()).padStart(4, "0")}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}`;
}

/** [start, end) in UTC ms of an inclusive range of local dates. */
export function rangeBounds(r: DateRange, zone: string): { startMs: number; endMs: number } {
  return { startMs: dayStart(r.from, zone), endMs: dayStart(addDays(r.to, 1), zone) };
}

/** ISO weekday: 1 = Monday … 7 = Sunday. */
function isoWeekday(date: string): number {
  const [y, m, d] = parts(date);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay() || 7;
}

/** The first day of the week holding `date`, for weeks starting on `weekStart` (1 = Monday). */
export function weekStartOf(date: string, weekStart: number): string {
  return addDays(date, -((isoWeekday(date) - weekStart + 7) % 7));
}

export function monthStartOf(date: string): string {
  return `${date.slice(0, 7)}-01`;
}

function nextMonth(date: string): string {
  const [y, m] = parts(date);
  return new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
}

/**
 * The weeks or months that cover the range, each clipped to it (the first week of a range that
 * starts on a Wednesday runs from that Wednesday), so the buckets add up to the range exactly.
 */
export function periodsOf(r: DateRange, unit: "week" | "month", zone: string, weekStart: number): Period[] {
  const out: Period[] = [];
  let start = unit === "week" ? weekStartOf(r.from, weekStart) : monthStartOf(r.from);
  while (start <= r.to) {
    const next = unit === "week" ? addDays(start, 7) : nextMonth(start);
    const from = start < r.from ? r.from : start;
    const last = addDays(next, -1);
    const to = last > r.to ? r.to : last;
    out.push({
      key: unit === "week" ? start : start.slice(0, 7),
      from,
      to,
      startMs: dayStart(from, zone),
      endMs: dayStart(addDays(to, 1), zone),
    });
    start = next;
  }
  return out;
}

/** Today, this week and this month in the organisation's zone, for the dashboard. */
export function currentPeriods(now: number, zone: string, weekStart: number): { week: DateRange; month: DateRange } {
  const today = localDate(now, zone);
  const week = weekStartOf(today, weekStart);
  const month = monthStartOf(today);
  return { week: { from: week, to: addDays(week, 6) }, month: { from: month, to: addDays(nextMonth(month), -1) } };
}
