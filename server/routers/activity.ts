import { detailForReader } from "../access/channel-rules";
import { findProject } from "../../db/tenant/projects";
import { projectTimeline, taskTimeline } from "../../db/tenant/tasks/activity";
import { notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { orgInput } from "./inputs";
import { pageFields } from "./query-inputs";
import * as I from "./task-inputs";
import { requireTask } from "./task-rules";

const page = { limit: pageFields.limit.default(50), cursor: pageFields.cursor };

/** Timelines are a page of the project, not the audit log: they keep the rates rule (audit.view is what reveals). */
function forReader<T extends { items: { detail: Record<string, unknown> }[] }>(
  timeline: T,
  permissions: Parameters<typeof detailForReader>[1],
): T {
  return { ...timeline, items: timeline.items.map((e) => ({ ...e, detail: detailForReader(e.detail, permissions) })) };
}

/** Timelines built from the audit log, for a task or a project the caller can see. */
export const activityRouter = router({
  task: tenantProcedure
    .meta({ permission: "task.read" })
    .input(orgInput.extend({ taskId: I.taskId, ...page }))
    .query(async ({ ctx, input }) => {
      await requireTask(input.taskId);
      return forReader(await taskTimeline(input.taskId, input), ctx.permissions);
    }),

  project: tenantProcedure
    .meta({ permission: "task.read" })
    .input(orgInput.extend({ projectId: I.projectId, ...page }))
    .query(async ({ ctx, input }) => {
      if (!(await findProject(input.projectId))) throw notFound("Project");
      return forReader(await projectTimeline(input.projectId, input), ctx.permissions);
    }),
});
