import { z } from "zod";
import { inTenantTransaction, runInTenant } from "../../db/tenant/context";
import { findProject } from "../../db/tenant/projects";
import { addDays, rangeBounds } from "../../db/tenant/reports/periods";
import { getDigestChoice, getOrgSettings, setDigestChoice } from "../../db/tenant/settings";
import { FULL_ACCESS } from "../../db/tenant/visibility";
import { audit } from "../audit/audit";
import { activityIn } from "../digest/activity";
import { readUnsubscribeToken, TOKEN_PATTERN } from "../digest/unsubscribe-token";
import type { Context } from "../trpc/context";
import { badRequest, forbidden, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { publicProcedure, tenantProcedure } from "../trpc/procedures";
import type { Actor } from "../trpc/tenant-context";
import { idSchema, orgInput } from "./inputs";

/** A report covers at most this many days (a year, leap day included). */
export const MAX_REPORT_DAYS = 366;

const dateSchema = z.iso.date("Use a date such as 2024-05-31.");
const reportInput = orgInput.extend({ projectId: idSchema("p"), from: dateSchema, to: dateSchema }).superRefine((v, ctx) => {
  // zod runs this even when a date failed; that issue is already reported.
  if (!dateSchema.safeParse(v.from).success || !dateSchema.safeParse(v.to).success) return;
  if (v.to < v.from) ctx.addIssue({ code: "custom", message: "The range ends before it starts.", path: ["to"] });
  else if (v.to >= addDays(v.from, MAX_REPORT_DAYS))
    ctx.addIssue({ code: "custom", message: `Choose at most ${MAX_REPORT_DAYS} days.`, path: ["to"] });
});

const BAD_LINK = "This unsubscribe link is not valid. You can switch the digest off in the organisation, under Daily digest.";

/** The caller's own member row: support staff have none here, so they have no digest to change. */
function requireOwnMember(ctx: { actor: Actor }) {
  if (ctx.actor.kind === "support") throw forbidden("Support sessions have no digest of their own.");
}

async function choiceOf(ctx: { actor: Actor }) {
  const [row, settings] = await Promise.all([getDigestChoice(ctx.actor.id), getOrgSettings()]);
  if (!row) throw notFound("Member");
  return { optIn: row.digest_opt_in === 1, lastSentOn: row.digest_sent_on, digestHour: settings.digestHour, timeZone: settings.timeZone };
}

/**
 * The daily digest: each member's own opt-in, the unsubscribe link's landing, and a project's
 * activity report (the digest's sections for any range, day by day). The report needs what the
 * project's activity timeline needs (task.read) and answers "not found" for a hidden project.
 */
export const digestRouter = router({
  get: tenantProcedure
    .meta({ permission: "org.view" })
    .input(orgInput)
    .query(({ ctx }) => {
      requireOwnMember(ctx);
      return choiceOf(ctx);
    }),

  set: tenantProcedure
    .meta({ permission: "org.view" })
    .input(orgInput.extend({ optIn: z.boolean() }))
    .mutation(({ ctx, input }) => {
      requireOwnMember(ctx);
      return inTenantTransaction(async () => {
        if (await setDigestChoice(ctx.actor.id, input.optIn)) {
          await audit(ctx.actor, input.optIn ? "digest.subscribe" : "digest.unsubscribe", { type: "member", id: ctx.actor.id });
        }
        return choiceOf(ctx);
      });
    }),

  /**
   * From the emailed link, no login needed: the token names the member and proves it. Saying yes
   * twice is fine; a token that does not verify gets a sentence, never a hint about whom it named.
   */
  unsubscribe: publicProcedure
    .meta({ access: "public" })
    .input(
      z.object({
        token: z.string().max(200).regex(TOKEN_PATTERN, "This unsubscribe link is incomplete; copy the whole link from the email."),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const who = readUnsubscribeToken(ctx.services.keys, input.token);
      if (!who) throw badRequest(BAD_LINK);
      const tenant = await ctx.services.control
        .selectFrom("tenants")
        .select(["id", "name", "status"])
        .where("id", "=", who.tenantId)
        .executeTakeFirst();
      // A closed or gone organisation sends nothing anyway: nothing to change, and no file to open.
      if (!tenant || tenant.status !== "active") return { orgName: null, unsubscribed: true };
      await unsubscribe(ctx, tenant.id, who.userId);
      return { orgName: tenant.name, unsubscribed: true };
    }),

  projectReport: tenantProcedure
    .meta({ permission: "task.read" })
    .input(reportInput)
    .query(async ({ ctx, input }) => {
      const project = await findProject(input.projectId);
      if (!project) throw notFound("Project");
      const { timeZone } = await getOrgSettings();
      const window = {
        ...rangeBounds({ from: input.from, to: input.to }, timeZone),
        from: input.from,
        to: input.to,
        zone: timeZone,
        projectId: project.id,
      };
      const activity = await activityIn({ userId: ctx.actor.id, permissions: ctx.permissions }, window, ctx.services.clock);
      return {
        project: { id: project.id, name: project.name, clientName: project.client_name },
        from: input.from,
        to: input.to,
        timeZone,
        ...activity,
      };
    }),
});

async function unsubscribe(ctx: Pick<Context, "services" | "info">, tenantId: string, userId: string) {
  const lease = await ctx.services.pool.acquire(tenantId);
  try {
    await runInTenant({ tenantId, db: lease.db, access: FULL_ACCESS }, () =>
      inTenantTransaction(async () => {
        // A member who has left has no row: nothing is sent to them, so there is nothing to undo.
        if (await setDigestChoice(userId, false)) {
          const actor: Actor = { kind: "user", id: userId, ip: ctx.info.ip, userAgent: ctx.info.userAgent };
          await audit(actor, "digest.unsubscribe", { type: "member", id: userId }, { via: "email link" });
        }
      }),
    );
  } finally {
    lease.release();
  }
}
