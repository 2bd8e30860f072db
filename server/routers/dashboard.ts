import { budgetReport } from "../../db/tenant/reports/budgets";
import { activeProjectCount, scopeTotals } from "../../db/tenant/reports/dashboard";
import { hoursReport } from "../../db/tenant/reports/hours";
import { currentPeriods, rangeBounds } from "../../db/tenant/reports/periods";
import { unbilledAmount } from "../../db/tenant/reports/unbilled";
import { getOrgSettings } from "../../db/tenant/settings";
import { seesMoney } from "../access/channel-rules";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { orgInput } from "./inputs";
import { scopeFor } from "./reports";

const TOP_PROJECTS = 5;

/**
 * The organisation page's key figures. Hours and counts need only dashboard.view; money needs
 * report.view and project.rates.view as well (amounts are made of rates) and is null without them. The same scope as the reports: visible projects
 * only, and only the caller's own time unless their role reads everyone's.
 */
export const dashboardRouter = router({
  summary: tenantProcedure
    .meta({ permission: "dashboard.view" })
    .input(orgInput)
    .query(async ({ ctx }) => {
      const settings = await getOrgSettings();
      const zone = settings.timeZone;
      const { week, month } = currentPeriods(ctx.services.clock.now(), zone, settings.weekStart);
      const money = ctx.permissions.has("report.view") && seesMoney(ctx.permissions);
      const weekScope = scopeFor(ctx, {}, rangeBounds(week, zone));
      const monthScope = scopeFor(ctx, {}, rangeBounds(month, zone));

      const thisWeek = await scopeTotals(weekScope, settings.currency);
      const thisMonth = await scopeTotals(monthScope, settings.currency);
      const byProject = await hoursReport(monthScope, "project", [], settings.currency);
      const budgets = await budgetReport(scopeFor(ctx, {}));
      const unbilled = money ? await unbilledAmount(scopeFor(ctx, {})) : null;

      return {
        currency: settings.currency,
        timeZone: zone,
        week,
        month,
        secondsThisWeek: thisWeek.seconds,
        secondsThisMonth: thisMonth.seconds,
        billableAmountThisMonth: money ? thisMonth.amount : null,
        unbilledAmount: unbilled,
        activeProjects: await activeProjectCount(),
        projectsWithBudget: budgets.length,
        projectsOverBudget: budgets.filter((b) => b.overBudget).length,
        topProjects: byProject.slice(0, TOP_PROJECTS).map((p) => ({
          projectId: p.key,
          name: p.label,
          clientName: p.clientName,
          seconds: p.seconds,
          amount: money ? p.amount : null,
        })),
      };
    }),
});
