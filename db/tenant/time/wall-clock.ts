import { tzOffset } from "@date-fns/tz";

/**
 * A local wall-clock time ("2025-03-30" "02:30") read in a time zone, honestly: it names one
 * instant, none (a DST gap: the clocks jumped over it), or two (the repeated hour when clocks go
 * back). Date-fns and Date silently move a gap time forward and pick the first of two; a manual
 * entry must not (issue 26: 02:30–03:00 in Berlin was stored as −1,800 s).
 */
export type WallTime =
  | { kind: "exact"; at: number }
  /** `from`–`to` ("02:00", "03:00"): the local times that do not exist that night. */
  | { kind: "gap"; from: string; to: string }
  /** The same wall time twice: `offsets` are "+02:00" then "+01:00". */
  | { kind: "repeated"; first: number; second: number; offsets: [string, string] };

export type Occurrence = "first" | "second";

const MIN = 60_000;
const HOUR = 60 * MIN;
const pad = (n: number) => String(n).padStart(2, "0");

/** UTC ms of a wall-clock reading taken as if it were UTC; years below 100 stay years below 100. */
function naiveMs(date: string, time: string): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const [hh, mm] = time.split(":").map(Number) as [number, number];
  const t = new Date(Date.UTC(2000, m - 1, d, hh, mm));
  t.setUTCFullYear(y);
  return t.getTime();
}

const offsetAt = (zone: string, ms: number) => tzOffset(zone, new Date(ms));

/** "+05:45", "-03:00": an offset in minutes as people write it. */
export function offsetText(minutes: number): string {
  const sign = minutes < 0 ? "-" : "+";
  const a = Math.abs(minutes);
  return `${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

const hhmm = (naive: number) => {
  const t = new Date(naive);
  return `${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}`;
};

/** The first instant in (lo, hi] whose offset is `after` (the zone changes offset once in between). */
function transition(zone: string, lo: number, hi: number, after: number): number {
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (offsetAt(zone, mid) === after) hi = mid;
    else lo = mid;
  }
  return hi;
}

export function readWallTime(date: string, time: string, zone: string): WallTime {
  const naive = naiveMs(date, time);
  // Every offset the zone uses within a day and a bit either side: a wall time maps to at most these.
  const offsets = [...new Set([-30, -12, 0, 12, 30].map((h) => offsetAt(zone, naive + h * HOUR)))];
  const instants = [...new Set(offsets.map((o) => naive - o * MIN).filter((t) => offsetAt(zone, t) === (naive - t) / MIN))].sort(
    (a, b) => a - b,
  );
  if (instants.length === 1) return { kind: "exact", at: instants[0]! };
  if (instants.length >= 2) {
    const first = instants[0]!;
    const second = instants[instants.length - 1]!;
    return {
      kind: "repeated",
      first,
      second,
      offsets: [offsetText(offsetAt(zone, first)), offsetText(offsetAt(zone, second))],
    };
  }
  const before = offsetAt(zone, naive - 30 * HOUR);
  const after = offsetAt(zone, naive + 30 * HOUR);
  const at = transition(zone, naive - 30 * HOUR, naive + 30 * HOUR, after);
  return { kind: "gap", from: hhmm(at + before * MIN), to: hhmm(at + after * MIN) };
}

/** The minute before `to` ("03:00" → "02:59"): the last missing minute, for the sentence. */
export function minuteBefore(to: string): string {
  const [h, m] = to.split(":").map(Number) as [number, number];
  const total = (h * 60 + m + 24 * 60 - 1) % (24 * 60);
  return `${pad(Math.floor(total / 60))}:${pad(total % 60)}`;
}

/** The sentence that refuses a wall time in a DST gap, naming the hours that do not exist. */
export function gapSentence(date: string, time: string, zone: string, gap: { from: string; to: string }): string {
  return (
    `${time} does not exist on ${date} in ${zone}: the clocks jump from ${gap.from} straight to ${gap.to} that night ` +
    `(${gap.from}–${minuteBefore(gap.to)} is skipped). Use a time before ${gap.from} or from ${gap.to} on.`
  );
}

/** The sentence that asks which of the two readings of a repeated wall time is meant. */
export function repeatedSentence(date: string, time: string, zone: string, offsets: [string, string]): string {
  return (
    `${time} happens twice on ${date} in ${zone} (the clocks go back): first at UTC${offsets[0]}, then again at UTC${offsets[1]}. ` +
    `Say which one you mean.`
  );
}
