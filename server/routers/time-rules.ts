import { seesMoney } from "../access/channel-rules";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { findProject } from "../../db/tenant/projects";
import { dayEnd, dayStart, localDate, localTime, addDays } from "../../db/tenant/time/days";
import { gapSentence, readWallTime, repeatedSentence, type Occurrence } from "../../db/tenant/time/wall-clock";
import { amountOf, findEntry, firstFreeGap, firstOverlap, type EntryWithNames } from "../../db/tenant/time/entries";
import { taskInProject } from "../../db/tenant/time/projects";
import type { Permission } from "../permissions/catalogue";
import { badRequest, conflict, forbidden, notFound } from "../trpc/errors";
import type { Actor } from "../trpc/tenant-context";
import { idSchema } from "./inputs";

/** The rules the time procedures share: input pieces, guards that throw readable errors, the view. */

export const TIMER_RUNNING = "A timer is already running.";
export const LOCKED = "This entry is on an invoice and can no longer change.";
export const MAX_ENTRY_SECONDS = 24 * 3600;
/** How far past "now" an entry may end: room for typing "until 17:00" at 16:58, and no more. */
const FUTURE_GRACE_MS = 5 * 60_000;
const MAX_TIME = 8_640_000_000_000_000;

export const entryId = idSchema("e");
export const memberIdSchema = idSchema("u");
export const localDateSchema = z.iso.date("Use a date such as 2024-05-31.");
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "Use a time such as 09:30.");
const instant = z.number().int("Use whole milliseconds.").min(0).max(MAX_TIME);
const occurrence = z.enum(["first", "second"], "Use first or second.");
export const noteSchema = z.string().trim().max(2000, "Use at most 2,000 characters.");
// The tasks domain picks its own id prefix; any of our ids has this shape.
export const taskIdSchema = z.string().regex(/^[a-z]{1,2}[a-z2-7]{24}$/, "Not a valid id.");

/** A manual entry's time: a date and a duration, a date with local start and end times, or two instants. */
export const whenFields = {
  date: localDateSchema.optional(),
  durationSeconds: z
    .number()
    .int("Use whole seconds.")
    .min(1, "Use at least one second.")
    .max(MAX_ENTRY_SECONDS, "An entry can be at most 24 hours.")
    .optional(),
  start: clockTime.optional(),
  end: clockTime.optional(),
  startedAt: instant.optional(),
  endedAt: instant.optional(),
  /** Which reading of a start or end time in the repeated hour (clocks going back) is meant. */
  startOccurrence: occurrence.optional(),
  endOccurrence: occurrence.optional(),
};
type WhenInput = { [K in keyof typeof whenFields]?: z.output<(typeof whenFields)[K]> };
const OCCURRENCE_KEYS = ["startOccurrence", "endOccurrence"] as const;

export type When =
  | { kind: "duration"; date: string; seconds: number }
  | { kind: "local"; date: string; start: string; end: string; startOccurrence?: Occurrence; endOccurrence?: Occurrence }
  | { kind: "instants"; startedAt: number; endedAt: number };

const WHEN_SHAPES = "Give a date with a duration, a date with start and end times, or startedAt and endedAt.";

/** The one shape the input gives, null when it gives none, or a message when it mixes them. */
export function whenOf(v: WhenInput): When | null | { problem: string; path: string } {
  const keys = (Object.keys(whenFields) as (keyof WhenInput)[]).filter((k) => !(OCCURRENCE_KEYS as readonly string[]).includes(k));
  const given = keys.filter((k) => v[k] !== undefined);
  const only = (...keys: (keyof WhenInput)[]) => given.length === keys.length && keys.every((k) => given.includes(k));
  const occurrences = OCCURRENCE_KEYS.filter((k) => v[k] !== undefined);
  if (given.length === 0)
    return occurrences.length ? { problem: "Give the start and end times this choice is for.", path: occurrences[0]! } : null;
  if (only("date", "start", "end")) {
    if (v.start === v.end && (v.startOccurrence ?? "first") === (v.endOccurrence ?? "first"))
      return { problem: "The end must differ from the start.", path: "end" };
    return {
      kind: "local",
      date: v.date!,
      start: v.start!,
      end: v.end!,
      startOccurrence: v.startOccurrence,
      endOccurrence: v.endOccurrence,
    };
  }
  if (occurrences.length) return { problem: "First or second applies only to a date with start and end times.", path: occurrences[0]! };
  if (only("date", "durationSeconds")) return { kind: "duration", date: v.date!, seconds: v.durationSeconds! };
  if (only("startedAt", "endedAt")) {
    if (v.endedAt! <= v.startedAt!) return { problem: "The end must be after the start.", path: "endedAt" };
    if (v.endedAt! - v.startedAt! > MAX_ENTRY_SECONDS * 1000) return { problem: "An entry can be at most 24 hours.", path: "endedAt" };
    return { kind: "instants", startedAt: v.startedAt!, endedAt: v.endedAt! };
  }
  return { problem: WHEN_SHAPES, path: given[0]! };
}

/** For zod's superRefine: a create needs one shape of time, an update at most one. */
export const checkWhen = (required: boolean) => (v: WhenInput, ctx: z.RefinementCtx) => {
  const when = whenOf(v);
  if (when === null && required) ctx.addIssue({ code: "custom", message: WHEN_SHAPES, path: ["date"] });
  if (when && "problem" in when) ctx.addIssue({ code: "custom", message: when.problem, path: [when.path] });
};

export function parsedWhen(v: WhenInput): When | null {
  const when = whenOf(v);
  return when && "problem" in when ? null : when;
}

interface Caller {
  actor: Actor;
  permissions: ReadonlySet<Permission>;
}

/** Own time is a member's: a support session has no timer or timesheet of its own here. */
export function requireTracker(ctx: Caller): string {
  if (ctx.actor.kind !== "user") throw forbidden("Only members of the organisation track their own time.");
  return ctx.actor.id;
}

/** The channel rule (seesMoney), and whoever sets member rates knows them already. */
export const canSeeRates = (ctx: Caller) => seesMoney(ctx.permissions) || ctx.permissions.has("time.rates.manage");

/** A project the caller may see (else NOT_FOUND, as if it did not exist) and that is not archived. */
export async function requireLoggableProject(id: string) {
  const project = await findProject(id);
  if (!project) throw notFound("Project");
  if (project.archived_at !== null) throw badRequest("That project is archived; restore it before logging time on it.");
  return project;
}

export async function requireTaskInProject(taskId: string | null, projectId: string) {
  if (taskId !== null && !(await taskInProject(taskId, projectId))) throw badRequest("That task is not in this project.");
}

export async function requireEntry(id: string) {
  const entry = await findEntry(id);
  if (!entry) throw notFound("Time entry");
  return entry;
}

export function requireMayRead(ctx: Caller, entry: EntryWithNames) {
  if (entry.member_id !== ctx.actor.id && !ctx.permissions.has("time.read.all")) {
    throw forbidden("You can see only your own time (needs time.read.all).");
  }
}

/** Own entries need time.write.own (declared by the procedure); anyone else's need time.write.all too. */
export function requireMayWrite(ctx: Caller, entry: EntryWithNames) {
  if (entry.member_id !== ctx.actor.id && !ctx.permissions.has("time.write.all")) {
    throw forbidden("You can change only your own time (needs time.write.all).");
  }
}

export function requireUnlocked(entry: { invoice_id: string | null }) {
  if (entry.invoice_id !== null) throw conflict(LOCKED);
}

/** [start, end) may not intersect another entry of the member; `end` null is a timer that runs on. */
export async function requireNoOverlap(memberId: string, start: number, end: number | null, zone: string, exceptId?: string) {
  const other = await firstOverlap(memberId, start, end, exceptId);
  if (!other) return;
  const until = other.ended_at === null ? "a running timer" : localTime(other.ended_at, zone);
  throw conflict(
    `This overlaps another entry of the same person (${localDate(other.started_at, zone)} ${localTime(other.started_at, zone)} to ${until}). One person's entries may not overlap.`,
  );
}

/**
 * A refusal tied to one input field, so the form marks that field: the error formatter reads a
 * ZodError cause. It is made by a parse because tRPC keeps only causes that are Errors, and a
 * ZodError built with `new` is not one.
 */
export function fieldError(path: string, message: string): TRPCError {
  const failed = z
    .object({})
    .superRefine((_, ctx) => ctx.addIssue({ code: "custom", path: [path], message }))
    .safeParse({});
  return new TRPCError({ code: "BAD_REQUEST", message, cause: failed.error });
}

export interface Years {
  min: number;
  max: number;
}

/** The sentence for a date outside the configured years ("0025-06-01" once became 1925-06-01). */
export const yearsSentence = (y: Years) => `Use a date from ${y.min}-01-01 to ${y.max}-12-31.`;
export const inYears = (date: string, y: Years) => {
  const year = Number(date.slice(0, 4));
  return year >= y.min && year <= y.max;
};

/** Every given date inside the configured years, else a refusal on the first field outside them. */
export function requireDatesInYears(dates: Record<string, string | undefined>, y: Years) {
  for (const [field, date] of Object.entries(dates)) if (date !== undefined && !inYears(date, y)) throw fieldError(field, yearsSentence(y));
}

/** The first and last instant of the configured years in the organisation's zone: [earliest, latest). */
export const yearBounds = (y: Years, zone: string) => ({
  earliest: dayStart(`${y.min}-01-01`, zone),
  latest: dayEnd(`${y.max}-12-31`, zone),
});

/**
 * The instant of a local start or end time, refused with a sentence when the clocks skip it (a DST
 * gap, naming the missing hour) or asking which is meant when they pass it twice.
 */
function wallInstant(date: string, time: string, zone: string, field: "start" | "end", chosen: Occurrence | undefined): number {
  const read = readWallTime(date, time, zone);
  if (read.kind === "exact") return read.at;
  if (read.kind === "gap") throw fieldError(field, gapSentence(date, time, zone, read));
  if (!chosen) throw fieldError(`${field}Occurrence`, repeatedSentence(date, time, zone, read.offsets));
  return chosen === "first" ? read.first : read.second;
}

/** The end of a local entry: on its date when that is after the start, else the next morning ("22:00 to 02:00"). */
function localEnd(when: Extract<When, { kind: "local" }>, startedAt: number, zone: string): number {
  if (when.end > when.start) return wallInstant(when.date, when.end, zone, "end", when.endOccurrence);
  const sameDay = readWallTime(when.date, when.end, zone);
  // 02:30 (first) to 02:15 (second) in the repeated hour is 45 minutes on the same night.
  if (sameDay.kind === "repeated" && when.endOccurrence === "second" && sameDay.second > startedAt) return sameDay.second;
  return wallInstant(addDays(when.date, 1), when.end, zone, "end", when.endOccurrence);
}

/** UTC instants of a manual entry, with day boundaries and wall-clock times in the organisation's zone. */
export async function intervalOf(when: When, memberId: string, zone: string, now: number, years: Years, exceptId?: string) {
  let startedAt: number;
  let endedAt: number;
  if (when.kind !== "instants") requireDatesInYears({ date: when.date }, years);
  if (when.kind === "instants") {
    ({ startedAt, endedAt } = when);
    if (!inYears(localDate(startedAt, zone), years)) throw fieldError("startedAt", yearsSentence(years));
  } else if (when.kind === "local") {
    startedAt = wallInstant(when.date, when.start, zone, "start", when.startOccurrence);
    endedAt = localEnd(when, startedAt, zone);
  } else {
    const latest = Math.min(dayEnd(when.date, zone), now + FUTURE_GRACE_MS);
    const at = await firstFreeGap(memberId, dayStart(when.date, zone), latest, when.seconds, exceptId);
    if (at === undefined)
      throw conflict("That day has no free stretch this long left: one person's entries may not overlap, or reach into the future.");
    startedAt = at;
    endedAt = at + when.seconds * 1000;
  }
  if (endedAt > now + FUTURE_GRACE_MS) throw badRequest("Time can't be logged in the future.");
  if (endedAt - startedAt > MAX_ENTRY_SECONDS * 1000) throw badRequest("An entry can be at most 24 hours.");
  // Whole seconds are stored: 400 ms would be a zero-second entry, which the file refuses.
  if (Math.round((endedAt - startedAt) / 1000) < 1) throw badRequest("An entry must last at least one second.");
  return { startedAt, endedAt };
}

/** What callers see of an entry: local date and times for display; rates only with the right to see them. */
export function entryView(e: EntryWithNames, zone: string, seeRates: boolean) {
  return {
    id: e.id,
    member_id: e.member_id,
    member_name: e.member_name,
    project_id: e.project_id,
    project_name: e.project_name,
    client_name: e.client_name,
    task_id: e.task_id,
    started_at: e.started_at,
    ended_at: e.ended_at,
    duration_seconds: e.duration_seconds,
    note: e.note,
    billable: e.billable === 1,
    hourly_rate: seeRates ? e.hourly_rate : null,
    amount: seeRates ? amountOf(e) : null,
    invoice_id: e.invoice_id,
    locked: e.invoice_id !== null,
    running: e.ended_at === null,
    date: localDate(e.started_at, zone),
    start_time: localTime(e.started_at, zone),
    end_time: e.ended_at === null ? null : localTime(e.ended_at, zone),
    /** Set when the entry must be fixed (it ends before it starts); listed by time.problems. */
    problem: e.problem,
    created_at: e.created_at,
    updated_at: e.updated_at,
  };
}
export type EntryView = ReturnType<typeof entryView>;
