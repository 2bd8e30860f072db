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
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d + days);
  return t.toISOString().slice(0, 10);
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
      : { date: f.date || undefined, start: f.start || undefined, end: f.end || undefined, ...occurrences(f) };
  return {
    ok: true as const,
    input: { projectId: f.projectId ?? "", note: f.note ?? "", billable: f.billable === "on", ...when },
  };
}

/** The procedure checks the value; the form offers only these two. */
type Occurrence = "first" | "second";
const occurrences = (f: Record<string, string>) => ({
  ...(f.startOccurrence ? { startOccurrence: f.startOccurrence as Occurrence } : {}),
  ...(f.endOccurrence ? { endOccurrence: f.endOccurrence as Occurrence } : {}),
});

/**
 * An edit from the form → only the fields the person changed, compared with the values the form was
 * drawn with (hidden `was_*` fields). Times the person did not touch are not sent at all, so they are
 * never re-read from the displayed HH:MM: an entry from 02:00 to 03:00 in the repeated autumn hour
 * stays one hour, and 4,475 s does not become 4,500 s because the note changed (issue 26).
 */
export function timeEntryEdit(f: Record<string, string>) {
  const duration = parseDuration(f.duration);
  if (duration === undefined) return timeEntryInput(f, { withTimes: false });
  const differs = (name: string) => !(`was_${name}` in f) || (f[name] ?? "") !== f[`was_${name}`];
  const input: Record<string, unknown> = {};
  if (differs("projectId")) input.projectId = f.projectId ?? "";
  if (differs("note")) input.note = f.note ?? "";
  const billable = f.billable === "on";
  if (!("was_billable" in f) || billable !== (f.was_billable === "1")) input.billable = billable;
  const chose = Boolean(f.startOccurrence || f.endOccurrence);
  if (f.running !== "1" && (duration !== null || chose || differs("date") || differs("start") || differs("end"))) {
    Object.assign(
      input,
      duration !== null
        ? { date: f.date || undefined, durationSeconds: duration }
        : { date: f.date || undefined, start: f.start || undefined, end: f.end || undefined, ...occurrences(f) },
    );
  }
  return { ok: true as const, input };
}

/** The procedure names the field durationSeconds; the form calls it duration. */
export function formFailure<T extends { ok: boolean }>(result: T): T {
  if (result.ok) return result;
  const failure = result as unknown as ActionFailure;
  const { durationSeconds, ...rest } = failure.fieldErrors;
  return { ...failure, fieldErrors: durationSeconds ? { ...rest, duration: durationSeconds } : rest } as unknown as T;
}
