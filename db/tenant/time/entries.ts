import { sql } from "kysely";
import { tenantDb } from "../context";
import { AMOUNT, BILLABLE_SECONDS, SECONDS } from "../reports/scope";
import { projectVisible } from "../visibility";
import type { TimeEntryRow } from "./schema";

/** What a write sets on an entry; instants are UTC ms, `endedAt` null while the timer runs. */
export interface EntryFields {
  projectId: string;
  taskId: string | null;
  note: string;
  billable: boolean;
  startedAt: number;
  endedAt: number | null;
  /** Minor units per hour, resolved at the time of writing (see resolveRate). */
  hourlyRate: number;
}

export interface EntryFilter {
  memberId?: string;
  projectId?: string;
  /** Entries that start in [from, to): bounds are UTC ms of local midnights. */
  from?: number;
  to?: number;
  billable?: boolean;
}

/** Durations are whole seconds; a running timer has 0 until it stops. */
export const durationOf = (startedAt: number, endedAt: number | null) => (endedAt === null ? 0 : Math.round((endedAt - startedAt) / 1000));

function withNames() {
  return tenantDb()
    .selectFrom("time_entries")
    .innerJoin("projects", "projects.id", "time_entries.project_id")
    .innerJoin("clients", "clients.id", "projects.client_id")
    .leftJoin("members", "members.user_id", "time_entries.member_id")
    .selectAll("time_entries")
    .select(["projects.name as project_name", "clients.name as client_name", "members.name as member_name"]);
}

export type EntryWithNames = TimeEntryRow & { project_name: string; client_name: string; member_name: string | null };

/** An entry in a project the caller may see, or undefined: an entry in a hidden project is not there. */
export function findEntry(id: string): Promise<EntryWithNames | undefined> {
  return withNames().where("time_entries.id", "=", id).where(projectVisible("time_entries.project_id")).executeTakeFirst();
}

/**
 * The member's running timer, whether or not its project is still visible to them (it is their own
 * timer; they must be able to stop it). The project's name is left out when the project is hidden.
 */
export function runningEntry(memberId: string) {
  return tenantDb()
    .selectFrom("time_entries")
    .leftJoin("projects", (j) => j.onRef("projects.id", "=", "time_entries.project_id").on(projectVisible("projects.id")))
    .selectAll("time_entries")
    .select("projects.name as project_name")
    .where("time_entries.member_id", "=", memberId)
    .where("time_entries.ended_at", "is", null)
    .executeTakeFirst();
}

function filtered(f: EntryFilter) {
  let q = withNames().where(projectVisible("time_entries.project_id"));
  if (f.memberId !== undefined) q = q.where("time_entries.member_id", "=", f.memberId);
  if (f.projectId !== undefined) q = q.where("time_entries.project_id", "=", f.projectId);
  if (f.from !== undefined) q = q.where("time_entries.started_at", ">=", f.from);
  if (f.to !== undefined) q = q.where("time_entries.started_at", "<", f.to);
  if (f.billable !== undefined) q = q.where("time_entries.billable", "=", f.billable ? 1 : 0);
  return q;
}

export function listEntries(f: EntryFilter, page: { limit: number; offset: number }) {
  return filtered(f).orderBy("time_entries.started_at", "desc").orderBy("time_entries.id").limit(page.limit).offset(page.offset).execute();
}

/** Totals over the whole filter (not one page). Amounts are each entry's, rounded as ADR 017 says, then summed. */
export async function entryTotals(f: EntryFilter) {
  const row = await filtered(f)
    .clearSelect()
    .select([
      sql<number>`count(*)`.as("count"),
      sql<number>`coalesce(sum(${SECONDS}), 0)`.as("seconds"),
      sql<number>`coalesce(sum(${BILLABLE_SECONDS}), 0)`.as("billableSeconds"),
      sql<number>`coalesce(sum(${AMOUNT}), 0)`.as("amount"),
    ])
    .executeTakeFirstOrThrow();
  return {
    count: Number(row.count),
    seconds: Number(row.seconds),
    billableSeconds: Number(row.billableSeconds),
    amount: Number(row.amount),
  };
}

/**
 * Minor units an entry bills: seconds × rate per hour, rounded half-up to the unit (ADR 017); nothing
 * when not billable, or when flagged for ending before it starts (the SQL twin counts it as 0 s too).
 */
export function amountOf(e: Pick<TimeEntryRow, "billable" | "duration_seconds" | "hourly_rate">) {
  return e.billable ? Math.floor((Math.max(e.duration_seconds, 0) * e.hourly_rate + 1800) / 3600) : 0;
}

function columns(f: EntryFields, now: number) {
  return {
    project_id: f.projectId,
    task_id: f.taskId,
    note: f.note,
    billable: f.billable ? 1 : 0,
    started_at: f.startedAt,
    ended_at: f.endedAt,
    duration_seconds: durationOf(f.startedAt, f.endedAt),
    hourly_rate: f.hourlyRate,
    updated_at: now,
  };
}

/** Throws SQLITE_CONSTRAINT_UNIQUE when a second running timer is inserted for the member. */
export async function insertEntry(id: string, memberId: string, f: EntryFields, now: number) {
  await tenantDb()
    .insertInto("time_entries")
    .values({ id, member_id: memberId, invoice_id: null, created_at: now, ...columns(f, now) })
    .execute();
}

/** The fields an edit changes; the rest of the row (the rate included) stays as it is. */
export interface EntryPatch {
  projectId?: string;
  taskId?: string | null;
  note?: string;
  billable?: boolean;
  /** New finished times: the duration follows, and a flag for ending before the start is cleared. */
  times?: { startedAt: number; endedAt: number };
}

export async function changeEntry(id: string, p: EntryPatch, now: number) {
  await tenantDb()
    .updateTable("time_entries")
    .set({
      ...(p.projectId !== undefined && { project_id: p.projectId }),
      ...(p.taskId !== undefined && { task_id: p.taskId }),
      ...(p.note !== undefined && { note: p.note }),
      ...(p.billable !== undefined && { billable: p.billable ? 1 : 0 }),
      ...(p.times && {
        started_at: p.times.startedAt,
        ended_at: p.times.endedAt,
        duration_seconds: durationOf(p.times.startedAt, p.times.endedAt),
        problem: null,
      }),
      updated_at: now,
    })
    .where("id", "=", id)
    .execute();
}

export async function updateEntry(id: string, f: EntryFields, now: number) {
  await tenantDb().updateTable("time_entries").set(columns(f, now)).where("id", "=", id).execute();
}

export async function deleteEntry(id: string) {
  await tenantDb().deleteFrom("time_entries").where("id", "=", id).execute();
}

type Span = Pick<TimeEntryRow, "id" | "started_at" | "ended_at">;
const OPEN = Number.MAX_SAFE_INTEGER;

function memberEntries(memberId: string, exceptId?: string) {
  let q = tenantDb().selectFrom("time_entries").select(["id", "started_at", "ended_at"]).where("member_id", "=", memberId);
  if (exceptId) q = q.where("id", "!=", exceptId);
  return q;
}

/** The member's entry with the latest start before `t` (the longest one, when several start together). */
function lastStartingBefore(memberId: string, t: number, exceptId?: string) {
  return memberEntries(memberId, exceptId)
    .where("started_at", "<", t)
    .orderBy("started_at", "desc")
    .orderBy(sql`coalesce(ended_at, ${OPEN})`, "desc")
    .limit(1)
    .executeTakeFirst();
}

/**
 * Another entry of the member that intersects [start, end), or undefined. `end` null means open-ended
 * (a running timer); a running entry counts as reaching on for ever, since it will end "now". Edges
 * touch without overlapping: [a, b) and [b, c) are fine.
 *
 * Why index seeks instead of a scan: every write goes through this check inside a BEGIN IMMEDIATE
 * transaction, so a member's entries never overlap one another. Sorted by start, only the last entry
 * that starts before `start` can reach into the range; every other intersecting entry starts inside
 * it. Both lookups use time_entries_member_start, however long the member's history.
 */
export async function firstOverlap(memberId: string, start: number, end: number | null, exceptId?: string): Promise<Span | undefined> {
  const inside = await memberEntries(memberId, exceptId)
    .where("started_at", ">=", start)
    .$if(end !== null, (q) => q.where("started_at", "<", end!))
    // A zero-length entry at `start` touches nothing.
    .where((eb) => eb.or([eb("ended_at", "is", null), eb("ended_at", ">", start), eb("started_at", ">", start)]))
    .orderBy("started_at")
    .limit(1)
    .executeTakeFirst();
  if (inside) return inside;
  const before = await lastStartingBefore(memberId, start, exceptId);
  return before && (before.ended_at ?? OPEN) > start ? before : undefined;
}

/**
 * The earliest gap of `seconds` in [from, to) between the member's entries, for an entry given as a
 * date and a duration: it goes where the member's day has room, from the day's start, so two
 * "2 hours on Monday" entries sit one after the other instead of overlapping.
 */
export async function firstFreeGap(
  memberId: string,
  from: number,
  to: number,
  seconds: number,
  exceptId?: string,
): Promise<number | undefined> {
  const need = seconds * 1000;
  const before = await lastStartingBefore(memberId, from, exceptId);
  let cursor = Math.max(from, before ? (before.ended_at ?? OPEN) : from);
  const inside = await memberEntries(memberId, exceptId)
    .where("started_at", ">=", from)
    .where("started_at", "<", to)
    .orderBy("started_at")
    .execute();
  for (const e of inside) {
    if (cursor >= to) return undefined;
    if (e.started_at - cursor >= need) return cursor;
    cursor = Math.max(cursor, e.ended_at ?? OPEN);
  }
  return to - cursor >= need ? cursor : undefined;
}
