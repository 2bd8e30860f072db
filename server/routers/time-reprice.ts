import { z } from "zod";
import { inTenantTransaction } from "../../db/tenant/context";
import { getOrgSettings } from "../../db/tenant/settings";
import { dayEnd, dayStart, localDate } from "../../db/tenant/time/days";
import { amountOf } from "../../db/tenant/time/entries";
import { previewToken, REPRICE_LIMIT, repriceCandidates, setEntryRate, type RepriceCandidate } from "../../db/tenant/time/reprice";
import { audit } from "../audit/audit";
import { badRequest, conflict, forbidden } from "../trpc/errors";
import { tenantProcedure } from "../trpc/procedures";
import { idSchema, orgInput } from "./inputs";
import { canSeeRates, localDateSchema, memberIdSchema, requireDatesInYears, requireLoggableProject } from "./time-rules";
import type { Context } from "../trpc/context";

/**
 * Re-pricing unbilled time at today's rates (issue 26): an entry's rate is fixed when it is logged,
 * and edits never change it; this is the one explicit way, previewed first. The apply carries the
 * preview's token, so it changes exactly the entries and amounts the person saw, or nothing.
 */

const filterFields = {
  projectId: idSchema("p").optional(),
  memberId: memberIdSchema.optional(),
  /** Local dates, inclusive, of the entries' starts. */
  from: localDateSchema.optional(),
  to: localDateSchema.optional(),
};
const inOrder = (v: { from?: string; to?: string }) => !v.from || !v.to || v.from <= v.to;
const ORDER_ERROR = { message: "The end of the range is before its start.", path: ["to"] };
const previewInput = orgInput.extend(filterFields).refine(inOrder, ORDER_ERROR);
const applyInput = orgInput
  .extend({ ...filterFields, token: z.string().regex(/^[0-9a-f]{64}$/, "Preview the change first.") })
  .refine(inOrder, ORDER_ERROR);

type Filter = z.output<typeof previewInput>;

/** The rates are what this shows and changes: whoever may re-price must also be allowed to see them. */
function requireSeesRates(ctx: Parameters<typeof canSeeRates>[0]) {
  if (!canSeeRates(ctx)) throw forbidden("Re-pricing shows rates and amounts (needs project.rates.view).");
}

async function candidates(ctx: { services: Context["services"] }, input: Filter) {
  const { timeZone } = await getOrgSettings();
  requireDatesInYears({ from: input.from, to: input.to }, ctx.services.config.years);
  if (input.projectId) await requireLoggableProject(input.projectId);
  const rows = await repriceCandidates({
    projectId: input.projectId,
    memberId: input.memberId,
    from: input.from ? dayStart(input.from, timeZone) : undefined,
    to: input.to ? dayEnd(input.to, timeZone) : undefined,
  });
  if (rows.length > REPRICE_LIMIT)
    throw badRequest(
      `More than ${REPRICE_LIMIT.toLocaleString("en")} entries would change; choose a project, a person or a shorter range.`,
    );
  return { rows, timeZone };
}

const amount = (r: RepriceCandidate, rate: number) =>
  amountOf({ billable: r.billable, duration_seconds: r.duration_seconds, hourly_rate: rate });

function preview(rows: RepriceCandidate[], timeZone: string) {
  const entries = rows.map((r) => ({
    id: r.id,
    member_id: r.member_id,
    member_name: r.member_name,
    project_id: r.project_id,
    project_name: r.project_name,
    date: localDate(r.started_at, timeZone),
    duration_seconds: r.duration_seconds,
    billable: r.billable === 1,
    hourly_rate: r.hourly_rate,
    new_rate: r.new_rate,
    amount: amount(r, r.hourly_rate),
    new_amount: amount(r, r.new_rate),
  }));
  // Totals are sums of the entries' own amounts, as every other view of time adds them.
  const total = (k: "amount" | "new_amount") => entries.reduce((n, e) => n + e[k], 0);
  return { entries, count: entries.length, amount: total("amount"), newAmount: total("new_amount"), token: previewToken(rows) };
}

export const timeRepriceProcedures = {
  /** Unbilled entries whose stored rate differs from today's, with old and new amounts; changes nothing. */
  repricePreview: tenantProcedure
    .meta({ permission: "time.reprice" })
    .input(previewInput)
    .query(async ({ ctx, input }) => {
      requireSeesRates(ctx);
      const { rows, timeZone } = await candidates(ctx, input);
      return preview(rows, timeZone);
    }),

  /** Applies a preview: every listed entry takes today's rate, in one transaction, audited. */
  reprice: tenantProcedure
    .meta({ permission: "time.reprice" })
    .input(applyInput)
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        requireSeesRates(ctx);
        const { rows, timeZone } = await candidates(ctx, input);
        const seen = preview(rows, timeZone);
        if (seen.token !== input.token) throw conflict("Rates or entries changed since the preview; preview again before re-pricing.");
        if (rows.length === 0) return { count: 0, amount: 0, newAmount: 0 };
        const now = ctx.services.clock.now();
        for (const r of rows) await setEntryRate(r.id, r.new_rate, now);
        await audit(ctx.actor, "time.reprice", input.projectId ? { type: "project", id: input.projectId } : null, {
          filter: {
            project_id: input.projectId ?? null,
            member_id: input.memberId ?? null,
            from: input.from ?? null,
            to: input.to ?? null,
          },
          count: rows.length,
          previous_amount: seen.amount,
          amount: seen.newAmount,
          entries: seen.entries.map((e) => ({ id: e.id, previous_rate: e.hourly_rate, hourly_rate: e.new_rate })),
        });
        return { count: rows.length, amount: seen.amount, newAmount: seen.newAmount };
      }),
    ),
};
