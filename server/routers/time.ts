import { z } from "zod";
import { inTenantTransaction } from "../../db/tenant/context";
import { emitEvent } from "../webhooks/events";
import { getOrgSettings } from "../../db/tenant/settings";
import { dayEnd, dayStart, localDate, localTime, weekOf } from "../../db/tenant/time/days";
import {
  amountOf,
  deleteEntry,
  durationOf,
  entryTotals,
  findEntry,
  changeEntry,
  insertEntry,
  listEntries,
  runningEntry,
  updateEntry,
  type EntryFilter,
  type EntryPatch,
} from "../../db/tenant/time/entries";
import { entriesToFix } from "../../db/tenant/time/problems";
import { loggableProjects } from "../../db/tenant/time/projects";
import { timeRepriceProcedures } from "./time-reprice";
import { findTrackingMember, resolveRate } from "../../db/tenant/time/rates";
import { audit } from "../audit/audit";
import { newId } from "../auth/tokens";
import type { Context } from "../trpc/context";
import { badRequest, conflict, forbidden, isUniqueViolation, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import type { Actor } from "../trpc/tenant-context";
import type { Permission } from "../permissions/catalogue";
import { idSchema, orgInput } from "./inputs";
import {
  canSeeRates,
  checkWhen,
  entryId,
  entryView,
  intervalOf,
  localDateSchema,
  memberIdSchema,
  noteSchema,
  parsedWhen,
  requireEntry,
  requireLoggableProject,
  requireMayRead,
  requireMayWrite,
  requireNoOverlap,
  requireTaskInProject,
  requireTracker,
  requireDatesInYears,
  requireUnlocked,
  taskIdSchema,
  yearBounds,
  TIMER_RUNNING,
  whenFields,
} from "./time-rules";

type Ctx = Pick<Context, "services"> & { actor: Actor; permissions: ReadonlySet<Permission> };

const projectId = idSchema("p");
const listFields = {
  /** Local dates, inclusive; with neither, the current week in the organisation's time zone. */
  from: localDateSchema.optional(),
  to: localDateSchema.optional(),
  projectId: projectId.optional(),
  billable: z.boolean().optional(),
  limit: z.number().int().min(1).max(1000).default(500),
  offset: z.number().int().min(0).max(1_000_000).default(0),
};
/** How many entries to fix the time page lists at once. */
const PROBLEMS_SHOWN = 200;
const rangeInOrder = (v: { from?: string; to?: string }) => !v.from || !v.to || v.from <= v.to;
const RANGE_ERROR = { message: "The end of the range is before its start.", path: ["to"] };
const entryFields = {
  projectId,
  taskId: taskIdSchema.nullish(),
  note: noteSchema.default(""),
  billable: z.boolean().default(true),
  ...whenFields,
};
const createInput = orgInput.extend(entryFields).superRefine(checkWhen(true));

function timerRunning(error: unknown): never {
  if (isUniqueViolation(error)) throw conflict(TIMER_RUNNING);
  throw error;
}

async function listing(ctx: Ctx, input: z.output<z.ZodObject<typeof listFields>>, memberId: string | undefined) {
  const { timeZone, weekStart } = await getOrgSettings();
  let { from, to } = input;
  requireDatesInYears({ from, to }, ctx.services.config.years);
  if (!from && !to) ({ from, to } = weekOf(localDate(ctx.services.clock.now(), timeZone), weekStart));
  const filter: EntryFilter = {
    memberId,
    projectId: input.projectId,
    billable: input.billable,
    from: from ? dayStart(from, timeZone) : undefined,
    to: to ? dayEnd(to, timeZone) : undefined,
  };
  const seeRates = canSeeRates(ctx);
  const [rows, totals] = await Promise.all([listEntries(filter, input), entryTotals(filter)]);
  return {
    timeZone,
    from: from ?? null,
    to: to ?? null,
    entries: rows.map((r) => entryView(r, timeZone, seeRates)),
    totals: { ...totals, amount: seeRates ? totals.amount : null },
  };
}

/** A manual entry for `memberId`, shared by `create` (yourself) and `createFor` (anyone). */
function createEntry(ctx: Ctx, memberId: string, input: z.output<typeof createInput>, forSomeone = false) {
  return inTenantTransaction(async () => {
    if (forSomeone && !(await findTrackingMember(memberId))) throw notFound("Member");
    await requireLoggableProject(input.projectId);
    const taskId = input.taskId ?? null;
    await requireTaskInProject(taskId, input.projectId);
    const { timeZone } = await getOrgSettings();
    const now = ctx.services.clock.now();
    const { startedAt, endedAt } = await intervalOf(parsedWhen(input)!, memberId, timeZone, now, ctx.services.config.years);
    await requireNoOverlap(memberId, startedAt, endedAt, timeZone);
    const { hourlyRate } = await resolveRate(memberId, input.projectId);
    const id = newId("e");
    await insertEntry(
      id,
      memberId,
      { projectId: input.projectId, taskId, note: input.note, billable: input.billable, startedAt, endedAt, hourlyRate },
      now,
    );
    const entry = await requireEntry(id);
    await audit(
      ctx.actor,
      "time.create",
      { type: "time_entry", id },
      {
        project_id: entry.project_id,
        member_id: memberId,
        task_id: taskId,
        started_at: startedAt,
        ended_at: endedAt,
        duration_seconds: entry.duration_seconds,
        billable: input.billable,
      },
    );
    await emitEvent(ctx.services, "time_entry.created", {
      time_entry: {
        id,
        project_id: entry.project_id,
        task_id: taskId,
        member_id: memberId,
        started_at: startedAt,
        ended_at: endedAt,
        duration_seconds: entry.duration_seconds,
        billable: input.billable,
        // Removed at send time for an owner without project.rates.view (server/webhooks/scope.ts).
        hourly_rate: entry.hourly_rate,
        amount: amountOf(entry),
      },
    });
    return entryView(entry, timeZone, canSeeRates(ctx));
  });
}

/**
 * Time tracking. Own time needs time.read.own / time.write.own; other members' time needs
 * time.read.all / time.write.all in addition. Every entry lives in a project the caller can see.
 */
export const timeRouter = router({
  /** The caller's running timer, or null: it is a row, so it survives reloads and restarts. */
  current: tenantProcedure
    .meta({ permission: "time.read.own" })
    .input(orgInput)
    .query(async ({ ctx }) => {
      if (ctx.actor.kind !== "user") return null;
      const e = await runningEntry(ctx.actor.id);
      if (!e) return null;
      // project_name is null when the project is no longer shared with the caller.
      return {
        id: e.id,
        project_id: e.project_id,
        project_name: e.project_name,
        task_id: e.task_id,
        note: e.note,
        billable: e.billable === 1,
        started_at: e.started_at,
      };
    }),

  /**
   * Entries that need fixing: ending before they start (flagged by migration 0017) or dated outside
   * the configured years. The caller's own; everyone's with time.read.all.
   */
  problems: tenantProcedure
    .meta({ permission: "time.read.own" })
    .input(orgInput)
    .query(async ({ ctx }) => {
      const { timeZone } = await getOrgSettings();
      const memberId = ctx.permissions.has("time.read.all") ? undefined : ctx.actor.id;
      const rows = await entriesToFix(yearBounds(ctx.services.config.years, timeZone), memberId, PROBLEMS_SHOWN + 1);
      return {
        more: rows.length > PROBLEMS_SHOWN,
        entries: rows.slice(0, PROBLEMS_SHOWN).map((r) => ({
          ...r,
          locked: r.invoice_id !== null,
          date: localDate(r.started_at, timeZone),
          start_time: localTime(r.started_at, timeZone),
          end_time: r.ended_at === null ? null : localTime(r.ended_at, timeZone),
        })),
      };
    }),

  ...timeRepriceProcedures,

  /** Projects the caller may log time on (visible, not archived). */
  projects: tenantProcedure
    .meta({ permission: "time.write.own" })
    .input(orgInput)
    .query(() => loggableProjects()),

  /** The caller's entries (or one member's, with time.read.all) in a range of local dates, with totals. */
  list: tenantProcedure
    .meta({ permission: "time.read.own" })
    .input(orgInput.extend({ ...listFields, memberId: memberIdSchema.optional() }).refine(rangeInOrder, RANGE_ERROR))
    .query(({ ctx, input }) => {
      const memberId = input.memberId ?? ctx.actor.id;
      if (memberId !== ctx.actor.id && !ctx.permissions.has("time.read.all"))
        throw forbidden("You can see only your own time (needs time.read.all).");
      return listing(ctx, input, memberId);
    }),

  /** Everyone's entries (optionally one member's), for managers. */
  listAll: tenantProcedure
    .meta({ permission: "time.read.all" })
    .input(orgInput.extend({ ...listFields, memberId: memberIdSchema.optional() }).refine(rangeInOrder, RANGE_ERROR))
    .query(({ ctx, input }) => listing(ctx, input, input.memberId)),

  get: tenantProcedure
    .meta({ permission: "time.read.own" })
    .input(orgInput.extend({ id: entryId }))
    .query(async ({ ctx, input }) => {
      const entry = await requireEntry(input.id);
      requireMayRead(ctx, entry);
      const { timeZone } = await getOrgSettings();
      return entryView(entry, timeZone, canSeeRates(ctx));
    }),

  /** Starts the caller's timer now. One running timer per member: the file's unique index says so. */
  start: tenantProcedure
    .meta({ permission: "time.write.own" })
    .input(
      orgInput.extend({ projectId, taskId: taskIdSchema.nullish(), note: noteSchema.default(""), billable: z.boolean().default(true) }),
    )
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const memberId = requireTracker(ctx);
        await requireLoggableProject(input.projectId);
        const taskId = input.taskId ?? null;
        await requireTaskInProject(taskId, input.projectId);
        if (await runningEntry(memberId)) throw conflict(TIMER_RUNNING);
        const { timeZone } = await getOrgSettings();
        const now = ctx.services.clock.now();
        await requireNoOverlap(memberId, now, null, timeZone);
        const { hourlyRate } = await resolveRate(memberId, input.projectId);
        const id = newId("e");
        await insertEntry(
          id,
          memberId,
          { projectId: input.projectId, taskId, note: input.note, billable: input.billable, startedAt: now, endedAt: null, hourlyRate },
          now,
        ).catch(timerRunning);
        await audit(
          ctx.actor,
          "time.start",
          { type: "time_entry", id },
          { project_id: input.projectId, member_id: memberId, task_id: taskId, started_at: now },
        );
        return entryView(await requireEntry(id), timeZone, canSeeRates(ctx));
      }),
    ),

  /** Stops the caller's timer; with none running it answers null, so a second Stop click is harmless (null too for one stopped within its first second: nothing is kept). */
  stop: tenantProcedure
    .meta({ permission: "time.write.own" })
    .input(orgInput)
    .mutation(({ ctx }) =>
      inTenantTransaction(async () => {
        const memberId = requireTracker(ctx);
        const e = await runningEntry(memberId);
        if (!e) return null;
        requireUnlocked(e);
        const now = ctx.services.clock.now();
        if (durationOf(e.started_at, Math.max(now, e.started_at)) < 1) {
          // Stopped before a whole second passed (a double click on Start and Stop): no time was
          // recorded, and the file refuses a finished entry of zero seconds, so the timer is dropped.
          await deleteEntry(e.id);
          await audit(
            ctx.actor,
            "time.stop",
            { type: "time_entry", id: e.id },
            { project_id: e.project_id, member_id: memberId, started_at: e.started_at, discarded: true, duration_seconds: 0 },
          );
          return null;
        }
        const endedAt = Math.max(now, e.started_at);
        // The rate was fixed when the timer started; only time.reprice changes it.
        const hourlyRate = e.hourly_rate;
        const fields = {
          projectId: e.project_id,
          taskId: e.task_id,
          note: e.note,
          billable: e.billable === 1,
          startedAt: e.started_at,
          endedAt,
          hourlyRate,
        };
        await updateEntry(e.id, fields, now);
        const { timeZone } = await getOrgSettings();
        const entry = await findEntry(e.id);
        await audit(
          ctx.actor,
          "time.stop",
          { type: "time_entry", id: e.id },
          {
            project_id: e.project_id,
            member_id: memberId,
            started_at: e.started_at,
            ended_at: endedAt,
            duration_seconds: entry?.duration_seconds ?? Math.round((endedAt - e.started_at) / 1000),
          },
        );
        await emitEvent(ctx.services, "time_entry.created", {
          time_entry: {
            id: e.id,
            project_id: e.project_id,
            task_id: e.task_id,
            member_id: memberId,
            started_at: e.started_at,
            ended_at: endedAt,
            duration_seconds: entry?.duration_seconds ?? null,
            billable: e.billable === 1,
            hourly_rate: entry?.hourly_rate ?? null,
            amount: entry ? amountOf(entry) : null,
          },
        });
        return entry ? entryView(entry, timeZone, canSeeRates(ctx)) : null;
      }),
    ),

  /** A manual entry of the caller's own time. */
  create: tenantProcedure
    .meta({ permission: "time.write.own" })
    .input(createInput)
    .mutation(({ ctx, input }) => createEntry(ctx, requireTracker(ctx), input)),

  /** A manual entry for another member (or yourself), e.g. a manager filling in a timesheet. */
  createFor: tenantProcedure
    .meta({ permission: "time.write.all" })
    .input(orgInput.extend({ memberId: memberIdSchema, ...entryFields }).superRefine(checkWhen(true)))
    .mutation(({ ctx, input }) => createEntry(ctx, input.memberId, input, true)),

  /** Changes an entry: own with time.write.own, anyone's with time.write.all; never once invoiced. */
  update: tenantProcedure
    .meta({ permission: "time.write.own" })
    .input(
      orgInput
        .extend({
          id: entryId,
          projectId: projectId.optional(),
          taskId: taskIdSchema.nullish(),
          note: noteSchema.optional(),
          billable: z.boolean().optional(),
          ...whenFields,
        })
        .superRefine(checkWhen(false)),
    )
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const entry = await requireEntry(input.id);
        requireMayWrite(ctx, entry);
        requireUnlocked(entry);
        const projectId = input.projectId ?? entry.project_id;
        const projectChanged = projectId !== entry.project_id;
        if (projectChanged) await requireLoggableProject(projectId);
        const taskId = input.taskId === undefined ? entry.task_id : input.taskId;
        if (input.taskId !== undefined || projectChanged) await requireTaskInProject(taskId, projectId);
        const { timeZone } = await getOrgSettings();
        const now = ctx.services.clock.now();
        const when = parsedWhen(input);
        if (when && entry.ended_at === null) throw badRequest("Stop the timer before changing its times.");
        const times = when ? await intervalOf(when, entry.member_id, timeZone, now, ctx.services.config.years, entry.id) : null;
        // Only what differs is written: an edit of the note leaves the times, the duration and the rate as they were.
        const patch: EntryPatch = {};
        if (projectChanged) patch.projectId = projectId;
        if (taskId !== entry.task_id) patch.taskId = taskId;
        if (input.note !== undefined && input.note !== entry.note) patch.note = input.note;
        if (input.billable !== undefined && input.billable !== (entry.billable === 1)) patch.billable = input.billable;
        if (times && (times.startedAt !== entry.started_at || times.endedAt !== entry.ended_at || entry.problem !== null)) {
          await requireNoOverlap(entry.member_id, times.startedAt, times.endedAt, timeZone, entry.id);
          patch.times = times;
        }
        const fields = Object.keys(patch);
        if (fields.length === 0) return entryView(entry, timeZone, canSeeRates(ctx));
        await changeEntry(entry.id, patch, now);
        await audit(
          ctx.actor,
          "time.update",
          { type: "time_entry", id: entry.id },
          {
            project_id: projectId,
            member_id: entry.member_id,
            fields,
            ...(projectChanged && { previous_project_id: entry.project_id }),
            ...(patch.times && {
              started_at: patch.times.startedAt,
              ended_at: patch.times.endedAt,
              previous_started_at: entry.started_at,
              previous_ended_at: entry.ended_at,
            }),
          },
        );
        return entryView(await requireEntry(entry.id), timeZone, canSeeRates(ctx));
      }),
    ),

  delete: tenantProcedure
    .meta({ permission: "time.write.own" })
    .input(orgInput.extend({ id: entryId }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const entry = await requireEntry(input.id);
        requireMayWrite(ctx, entry);
        requireUnlocked(entry);
        await deleteEntry(entry.id);
        await audit(
          ctx.actor,
          "time.delete",
          { type: "time_entry", id: entry.id },
          {
            project_id: entry.project_id,
            member_id: entry.member_id,
            started_at: entry.started_at,
            ended_at: entry.ended_at,
            duration_seconds: entry.duration_seconds,
          },
        );
        return { id: entry.id };
      }),
    ),
});
