import { z } from "zod";
import { inTenantTransaction } from "../../db/tenant/context";
import { findProject } from "../../db/tenant/projects";
import { clearRate, findRate, findTrackingMember, listRates, resolveRate, setRate } from "../../db/tenant/time/rates";
import { audit } from "../audit/audit";
import { conflict, forbidden, notFound } from "../trpc/errors";
import {
  countUnbilledAtRate,
  currentRate,
  findReview,
  listPendingReviews,
  repriceUnbilledAtRate,
  resolveReview,
  setProjectRate,
} from "../../db/tenant/rates/scale-reviews";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { idSchema, orgInput } from "./inputs";
import { memberIdSchema } from "./time-rules";

const projectId = idSchema("p");
/** Minor units of the organisation's currency per hour (cents for EUR, yen for JPY, fils for KWD). */
const hourlyRate = z.number().int("Use whole minor units of the currency (cents for EUR, yen for JPY).").min(0).max(100_000_000);

async function requireMember(id: string) {
  const member = await findTrackingMember(id);
  if (!member) throw notFound("Member");
  return member;
}

/** A rate may name only a project the caller can see: a hidden project answers like a missing one. */
async function requireProject(id: string | null) {
  if (id !== null && !(await findProject(id))) throw notFound("Project");
}

/**
 * Hourly rates: a member's default rate and their rate on one project (see resolveRate for the
 * order). Seeing them needs project.rates.view; setting them needs time.rates.manage.
 */
export const ratesRouter = router({
  list: tenantProcedure
    .meta({ permission: "project.rates.view" })
    .input(orgInput)
    .query(() => listRates()),

  /** The rate a new entry of this member on this project would take, and where it comes from. */
  resolve: tenantProcedure
    .meta({ permission: "project.rates.view" })
    .input(orgInput.extend({ memberId: memberIdSchema, projectId }))
    .query(async ({ input }) => {
      await requireMember(input.memberId);
      await requireProject(input.projectId);
      return resolveRate(input.memberId, input.projectId);
    }),

  /** Sets a member's default rate (no project) or their rate on one project. */
  set: tenantProcedure
    .meta({ permission: "time.rates.manage" })
    .input(orgInput.extend({ memberId: memberIdSchema, projectId: projectId.nullish(), hourlyRate }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const projectId = input.projectId ?? null;
        await requireMember(input.memberId);
        await requireProject(projectId);
        const previous = await findRate(input.memberId, projectId);
        await setRate(input.memberId, projectId, input.hourlyRate, Date.now());
        await audit(
          ctx.actor,
          "rate.set",
          { type: "member_rate", id: input.memberId },
          {
            member_id: input.memberId,
            project_id: projectId,
            hourly_rate: input.hourlyRate,
            previous_rate: previous?.hourly_rate ?? null,
          },
        );
        return { memberId: input.memberId, projectId, hourlyRate: input.hourlyRate };
      }),
    ),

  /** Removes a rate so the next one in the order applies; clearing a rate that is not set changes nothing. */
  clear: tenantProcedure
    .meta({ permission: "time.rates.manage" })
    .input(orgInput.extend({ memberId: memberIdSchema, projectId: projectId.nullish() }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const projectId = input.projectId ?? null;
        await requireMember(input.memberId);
        await requireProject(projectId);
        const previous = await findRate(input.memberId, projectId);
        if (!previous) return { removed: false };
        await clearRate(input.memberId, projectId);
        await audit(
          ctx.actor,
          "rate.clear",
          { type: "member_rate", id: input.memberId },
          { member_id: input.memberId, project_id: projectId, previous_rate: previous.hourly_rate },
        );
        return { removed: true };
      }),
    ),

  /** Rates migration 0016 found possibly stored at the wrong scale, with the unbilled time each one priced. */
  scaleReviews: tenantProcedure
    .meta({ permission: "project.rates.view" })
    .input(orgInput)
    .query(async () => {
      const reviews = await listPendingReviews();
      return Promise.all(
        reviews.map(async (r) => ({
          ...r,
          unbilledEntries: await countUnbilledAtRate(r),
        })),
      );
    }),

  /**
   * The owner's answer to one review: keep the stored rate as it is, or fix it to the suggested
   * value (and re-price the unbilled entries that took the wrong-scale rate). Applied only while the
   * rate still has the value the review was made for.
   */
  resolveScaleReview: tenantProcedure
    .meta({ permission: "time.rates.manage" })
    .input(orgInput.extend({ id: z.number().int().positive(), decision: z.enum(["keep", "fix"], "Choose keep or fix.") }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const review = await findReview(input.id);
        if (!review || (review.project_id !== null && !(await findProject(review.project_id)))) throw notFound("Rate review");
        if (review.status !== "pending") throw conflict("This rate has already been reviewed.");
        if (review.target === "project" && input.decision === "fix" && !ctx.permissions.has("project.update")) {
          throw forbidden("Fixing a project's rate needs project.update.");
        }
        const now = ctx.services.clock.now();
        const rate = await currentRate(review);
        if (rate !== review.stored_rate) {
          throw conflict("This rate has changed since it was listed; it is no longer the one to review. Reload the page.");
        }
        let repriced = 0;
        if (input.decision === "fix") {
          if (review.target === "project") await setProjectRate(review.project_id!, review.suggested_rate, now);
          else await setRate(review.member_id!, review.project_id, review.suggested_rate, now);
          repriced = await repriceUnbilledAtRate(review, review.suggested_rate, now);
        }
        await resolveReview(review.id, input.decision === "fix" ? "fixed" : "kept", ctx.actor.id, now);
        await audit(
          ctx.actor,
          input.decision === "fix" ? "rate.scale_fixed" : "rate.scale_kept",
          review.target === "project" ? { type: "project", id: review.project_id! } : { type: "member_rate", id: review.member_id! },
          {
            review_id: review.id,
            member_id: review.member_id,
            project_id: review.project_id,
            currency: review.currency,
            stored_rate: review.stored_rate,
            hourly_rate: input.decision === "fix" ? review.suggested_rate : review.stored_rate,
            ...(input.decision === "fix" && { repriced_unbilled_entries: repriced }),
          },
        );
        return {
          id: review.id,
          decision: input.decision,
          hourlyRate: input.decision === "fix" ? review.suggested_rate : review.stored_rate,
          repriced,
        };
      }),
    ),
});
