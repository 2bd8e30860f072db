import type { ActionFailure } from "./api.server";

/** "1.5", "1:30" or "90m" → seconds; null for blank, undefined when it is not a duration. */
export function parseDuration(value: string | undefined): number | null | undefined {
  const v = (value ?? "").trim().toLowerCase();
  if (v === "") return null;
  let m = /^(\d{1,2}):([0-5]\d)$/.exec(v);
  if (m) return Number(m[1]) * 3600 + Number(m[2]) * 60;
  m = /^(\d{1,4})\s*m(in)?$/.exec(v);
  if (m) return Number(m[1]) * 60;
  m = /^(\d{1,2}(\.\d{1,2})?)\s*h?$/.exec(v);
  if (m) return Math.round(Number(m[1]) * 3600);
  return undefined;
}

/** Calendar arithmetic on "YYYY-MM-DD" (no zone: a date plus n days is a date). */
export function shiftDate(date: string, days: number) {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/**
 * Form strings → the time procedures' input. A duration, when given, wins over start and end; the
 * procedure says what is missing. Field names follow the form ("duration" for durationSeconds).
 */
export function timeEntryInput(f: Record<string, string>, options: { withTimes: boolean }) {
  const duration = parseDuration(f.duration);
  if (duration === undefined) {
    return {
      ok: false as const,
      message: "Please correct the marked fields.",
      fieldErrors: { duration: ["Enter hours such as 1.5, 1:30 or 90m."] },
    } satisfies ActionFailure;
  }
  const when = !options.withTimes
    ? {}
    : duration !== null
      ? { date: f.date || undefined, durationSeconds: duration }
      : { date: f.date || undefined, start: f.start || undefined, end: f.end || undefined };
  return {
    ok: true as const,
    input: { projectId: f.projectId ?? "", note: f.note ?? "", billable: f.billable === "on", ...when },
  };
}

/** The procedure names the field durationSeconds; the form calls it duration. */
export function formFailure<T extends { ok: boolean }>(result: T): T {
  if (result.ok) return result;
  const failure = result as unknown as ActionFailure;
  const { durationSeconds, ...rest } = failure.fieldErrors;
  return { ...failure, fieldErrors: durationSeconds ? { ...rest, duration: durationSeconds } : rest } as unknown as T;
}
