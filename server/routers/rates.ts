import { z } from "zod";
import { inTenantTransaction } from "../../db/tenant/context";
import { findProject } from "../../db/tenant/projects";
import { clearRate, findRate, findTrackingMember, listRates, resolveRate, setRate } from "../../db/tenant/time/rates";
import { audit } from "../audit/audit";
import { notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { idSchema, orgInput } from "./inputs";
import { memberIdSchema } from "./time-rules";

const projectId = idSchema("p");
/** Minor units (cents) per hour. */
const hourlyRate = z.number().int("Use whole cents.").min(0).max(100_000_000);

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
});
