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

/** Timelines built from the audit log, for a task or a project the caller can see. */
export const activityRouter = router({
  task: tenantProcedure
    .meta({ permission: "task.read" })
    .input(orgInput.extend({ taskId: I.taskId, ...page }))
    .query(async ({ input }) => {
      await requireTask(input.taskId);
      return taskTimeline(input.taskId, input);
    }),

  project: tenantProcedure
    .meta({ permission: "task.read" })
    .input(orgInput.extend({ projectId: I.projectId, ...page }))
    .query(async ({ input }) => {
      if (!(await findProject(input.projectId))) throw notFound("Project");
      return projectTimeline(input.projectId, input);
    }),
});
