import { z } from "zod";
import { budgetReport } from "../../db/tenant/reports/budgets";
import { financialsReport, financialsTotals } from "../../db/tenant/reports/financials";
import { hoursReport, type HoursRow } from "../../db/tenant/reports/hours";
import { addYears, localDate, periodsOf, rangeBounds, type DateRange } from "../../db/tenant/reports/periods";
import type { ReportScope } from "../../db/tenant/reports/scope";
import { unbilledReport } from "../../db/tenant/reports/unbilled";
import { utilisationReport } from "../../db/tenant/reports/utilisation";
import { getOrgSettings } from "../../db/tenant/settings";
import type { Clock } from "../clock";
import { seesMoney } from "../access/channel-rules";
import type { Permission } from "../permissions/catalogue";
import { forbidden } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import type { Actor } from "../trpc/tenant-context";
import { idSchema, orgInput } from "./inputs";
import { reportTable } from "./reports-csv";
import { requireDatesInYears, type Years } from "./time-rules";

/**
 * Reports read time entries; they never write (not even an audit row), so they can be run and
 * exported freely by whoever holds the permission. Ranges are local dates of the organisation's
 * time zone, inclusive; an entry counts on the day it starts.
 */

export const MAX_RANGE_YEARS = 3;
export const HOURS_GROUPS = ["client", "project", "member", "week", "month"] as const;
export const REPORTS = ["hours", "budgets", "utilisation", "unbilled", "financials"] as const;

const dateSchema = z.iso.date("Use a date such as 2024-05-31.");
const filterFields = {
  clientId: idSchema("c").optional(),
  projectId: idSchema("p").optional(),
  memberId: idSchema("u").optional(),
};
const rangeFields = { from: dateSchema, to: dateSchema };
/** All time when both are left out. */
const optionalRangeFields = { from: dateSchema.optional(), to: dateSchema.optional() };

type MaybeRange = { from?: string; to?: string };

/** Both ends or neither, in order, at most 3 years. Takes `object`: a budgets input has no range fields at all. */
function checkRange(value: object, ctx: z.core.$RefinementCtx) {
  const v = value as MaybeRange;
  // zod runs this even when a date itself failed; that issue is already reported, so stop here.
  const isDate = (d: unknown) => d === undefined || (typeof d === "string" && dateSchema.safeParse(d).success);
  if (!isDate(v.from) || !isDate(v.to)) return;
  if ((v.from === undefined) !== (v.to === undefined)) {
    ctx.addIssue({ code: "custom", message: "Give both ends of the range, or neither.", path: [v.from === undefined ? "from" : "to"] });
  } else if (v.from !== undefined && v.to !== undefined) {
    if (v.from > v.to) ctx.addIssue({ code: "custom", message: "The range ends before it starts.", path: ["to"] });
    else if (v.to >= addYears(v.from, MAX_RANGE_YEARS)) {
      ctx.addIssue({ code: "custom", message: `A report covers at most ${MAX_RANGE_YEARS} years; choose a shorter range.`, path: ["to"] });
    }
  }
}

const shapes = {
  hours: { ...rangeFields, groupBy: z.enum(HOURS_GROUPS).default("project"), ...filterFields },
  budgets: { ...filterFields },
  utilisation: { ...rangeFields, ...filterFields },
  unbilled: { ...optionalRangeFields, ...filterFields },
  financials: { ...optionalRangeFields, ...filterFields },
};
const inputOf = <K extends keyof typeof shapes>(k: K) => orgInput.extend(shapes[k]).superRefine(checkRange);
const inputs = {
  hours: inputOf("hours"),
  budgets: inputOf("budgets"),
  utilisation: inputOf("utilisation"),
  unbilled: inputOf("unbilled"),
  financials: inputOf("financials"),
};
const exportInput = z
  .discriminatedUnion(
    "report",
    [
      orgInput.extend({ report: z.literal("hours"), ...shapes.hours }),
      orgInput.extend({ report: z.literal("budgets"), ...shapes.budgets }),
      orgInput.extend({ report: z.literal("utilisation"), ...shapes.utilisation }),
      orgInput.extend({ report: z.literal("unbilled"), ...shapes.unbilled }),
      orgInput.extend({ report: z.literal("financials"), ...shapes.financials }),
    ],
    { error: `Choose a report: ${REPORTS.join(", ")}.` },
  )
  .superRefine(checkRange);

type Input<K extends keyof typeof inputs> = z.output<(typeof inputs)[K]>;
type Filters = { clientId?: string; projectId?: string; memberId?: string };

export interface Caller {
  actor: Actor;
  permissions: ReadonlySet<Permission>;
  services: { clock: Clock };
}

/**
 * Whose time a report counts, decided once for every report and the dashboard: everyone's with
 * time.read.all, otherwise the caller's own. (Which projects count is scopedEntries' business.)
 */
export function scopeFor(caller: Caller, filters: Filters, bounds?: { startMs: number; endMs: number }): ReportScope {
  return {
    ownMemberId: caller.permissions.has("time.read.all") ? null : caller.actor.id,
    clientId: filters.clientId,
    projectId: filters.projectId,
    memberId: filters.memberId,
    ...bounds,
  };
}

function rangeOf(value: object): DateRange | null {
  const input = value as MaybeRange;
  return input.from !== undefined && input.to !== undefined ? { from: input.from, to: input.to } : null;
}

async function setup(caller: Caller, input: Filters & { from?: string; to?: string }) {
  const settings = await getOrgSettings();
  const range = rangeOf(input);
  const scope = scopeFor(caller, input, range ? rangeBounds(range, settings.timeZone) : undefined);
  // `today` and `weekStart` let a page offer "this week" and "last month" in the organisation's zone.
  const today = localDate(caller.services.clock.now(), settings.timeZone);
  return {
    settings,
    range,
    scope,
    head: { currency: settings.currency, timeZone: settings.timeZone, weekStart: settings.weekStart, today, range },
  };
}

/** Totals of the hours rows: seconds add up, money only within a currency (ADR 017). */
function sumHours(rows: HoursRow[]) {
  const other = new Map<string, number>();
  for (const r of rows) for (const o of r.otherAmounts) other.set(o.currency, (other.get(o.currency) ?? 0) + o.amount);
  return {
    seconds: rows.reduce((n, r) => n + r.seconds, 0),
    billableSeconds: rows.reduce((n, r) => n + r.billableSeconds, 0),
    amount: rows.reduce((n, r) => n + r.amount, 0),
    otherAmounts: [...other].map(([currency, amount]) => ({ currency, amount })),
  };
}

/**
 * Amounts are money made of rates: a role with report.view but without project.rates.view gets the
 * hours and null where the amount was (as projects.get nulls rates), in the answer, the page and the CSV.
 */
function moneyFor<T extends { amount: number; otherAmounts?: unknown[] }>(
  caller: Caller,
  rows: T[],
): (Omit<T, "amount"> & { amount: number | null })[] {
  if (seesMoney(caller.permissions)) return rows;
  return rows.map((r) => ({ ...r, amount: null, ...(r.otherAmounts && { otherAmounts: [] }) }));
}

const run = {
  async hours(caller: Caller, input: Input<"hours">) {
    const { settings, range, scope, head } = await setup(caller, input);
    const { groupBy } = input;
    const periods = groupBy === "week" || groupBy === "month" ? periodsOf(range!, groupBy, settings.timeZone, settings.weekStart) : [];
    const rows = await hoursReport(scope, groupBy, periods, settings.currency);
    const [totals] = moneyFor(caller, [sumHours(rows)]);
    return { ...head, groupBy, rows: moneyFor(caller, rows), totals: totals! };
  },
  async budgets(caller: Caller, input: Input<"budgets">) {
    const { scope, head } = await setup(caller, input);
    const rows = await budgetReport(scope);
    return { ...head, rows, overBudget: rows.filter((r) => r.overBudget).length };
  },
  async utilisation(caller: Caller, input: Input<"utilisation">) {
    const { scope, head } = await setup(caller, input);
    const rows = await utilisationReport(scope);
    const tracked = rows.reduce((n, r) => n + r.trackedSeconds, 0);
    const billable = rows.reduce((n, r) => n + r.billableSeconds, 0);
    return {
      ...head,
      rows,
      totals: { trackedSeconds: tracked, billableSeconds: billable, billableRatio: tracked > 0 ? billable / tracked : null },
    };
  },
  async unbilled(caller: Caller, input: Input<"unbilled">) {
    const { scope, head } = await setup(caller, input);
    const rows = await unbilledReport(scope);
    const totals = rows.reduce(
      (t, r) => ({ entries: t.entries + r.entries, seconds: t.seconds + r.seconds, amount: t.amount + r.amount }),
      { entries: 0, seconds: 0, amount: 0 },
    );
    return { ...head, rows: moneyFor(caller, rows), totals: moneyFor(caller, [totals])[0]! };
  },
  async financials(caller: Caller, input: Input<"financials">) {
    const { scope, head, settings } = await setup(caller, input);
    const rows = await financialsReport(scope, settings.currency);
    return { ...head, rows, totals: financialsTotals(rows, settings.currency) };
  },
};

export type ReportResults = { [K in keyof typeof run]: Awaited<ReturnType<(typeof run)[K]>> };

/** The permission each report needs to be seen; exporting needs report.export on top. */
const VIEW_PERMISSION: Record<(typeof REPORTS)[number], Permission> = {
  hours: "report.view",
  budgets: "report.view",
  utilisation: "report.view",
  unbilled: "report.view",
  financials: "project.rates.view",
};

async function exportTable(caller: Caller, input: z.output<typeof exportInput>) {
  switch (input.report) {
    case "hours":
      return reportTable.hours(await run.hours(caller, input));
    case "budgets":
      return reportTable.budgets(await run.budgets(caller, input));
    case "utilisation":
      return reportTable.utilisation(await run.utilisation(caller, input));
    case "unbilled":
      return reportTable.unbilled(await run.unbilled(caller, input));
    case "financials":
      return reportTable.financials(await run.financials(caller, input));
  }
}

/** A range inside the configured years (issue 26: years 0001–0099 once read as 1901–1999 and slipped past the cap). */
function inYears<T extends object>(ctx: { services: { config: { years: Years } } }, input: T): T {
  const range = input as MaybeRange;
  requireDatesInYears({ from: range.from, to: range.to }, ctx.services.config.years);
  return input;
}

export const reportsRouter = router({
  hours: tenantProcedure
    .meta({ permission: "report.view" })
    .input(inputs.hours)
    .query(({ ctx, input }) => run.hours(ctx, inYears(ctx, input))),

  budgets: tenantProcedure
    .meta({ permission: "report.view" })
    .input(inputs.budgets)
    .query(({ ctx, input }) => run.budgets(ctx, input)),

  utilisation: tenantProcedure
    .meta({ permission: "report.view" })
    .input(inputs.utilisation)
    .query(({ ctx, input }) => run.utilisation(ctx, inYears(ctx, input))),

  unbilled: tenantProcedure
    .meta({ permission: "report.view" })
    .input(inputs.unbilled)
    .query(({ ctx, input }) => run.unbilled(ctx, inYears(ctx, input))),

  financials: tenantProcedure
    .meta({ permission: "project.rates.view" })
    .input(inputs.financials)
    .query(({ ctx, input }) => run.financials(ctx, inYears(ctx, input))),

  export: tenantProcedure
    .meta({ permission: "report.export" })
    .input(exportInput)
    .query(async ({ ctx, input }) => {
      const needed = VIEW_PERMISSION[input.report];
      if (!ctx.permissions.has(needed)) throw forbidden(`Your role does not allow this report (needs ${needed}).`);
      const table = await exportTable(ctx, inYears(ctx, input));
      const range = rangeOf(input);
      const parts = [
        ctx.tenant.slug,
        input.report,
        ...(input.report === "hours" ? [`by-${input.groupBy}`] : []),
        ...(range ? [range.from, "to", range.to] : ["all-time"]),
      ];
      return {
        filename: `${parts.join("-")}.csv`,
        contentType: "text/csv; charset=utf-8",
        rowCount: table.rows.length,
        content: table.csv(),
      };
    }),
});
