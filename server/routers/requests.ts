import { z } from "zod";
import { inTenantTransaction } from "../../db/tenant/context";
import { insertTask, setTaskState } from "../../db/tenant/tasks/tasks";
import { audit } from "../audit/audit";
import { newId } from "../auth/tokens";
import { conflict } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { nameSchema, orgInput } from "./inputs";
import * as I from "./task-inputs";
import { defaultStatus, requireLiveProject, requireStatus, requireTask, taskDetail, taskView } from "./task-rules";

const triageInput = z.discriminatedUnion("decision", [
  // Accepted: it becomes an ordinary task in a "todo" status (the first one unless named).
  orgInput.extend({ id: I.taskId, decision: z.literal("accept"), statusId: I.statusId.optional() }),
  // Declined: it stays a request, closed in a "done" status, with the reason its author will read.
  orgInput.extend({
    id: I.taskId,
    decision: z.literal("decline"),
    statusId: I.statusId.optional(),
    reason: z.string().trim().min(1, "Say why.").max(2000, "Use at most 2,000 characters."),
  }),
]);

/** Requests: work asked for by anyone who can see the project, client contacts included, then triaged. */
export const requestsRouter = router({
  raise: tenantProcedure
    .meta({ permission: "request.create" })
    .input(
      orgInput.extend({
        projectId: I.projectId,
        title: nameSchema,
        description: I.descriptionSchema.default(""),
        priority: I.prioritySchema.default("normal"),
        dueDate: I.calendarDate.nullable().default(null),
      }),
    )
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        await requireLiveProject(input.projectId);
        const status = await defaultStatus("todo");
        const id = newId("k");
        await insertTask(
          { id, ...input, estimateSeconds: null, statusId: status.id, kind: "request", createdBy: ctx.actor.id },
          Date.now(),
        );
        await audit(
          ctx.actor,
          "request.create",
          { type: "task", id },
          taskDetail({ id, projectId: input.projectId }, { title: input.title }),
        );
        return taskView(await requireTask(id), ctx.permissions);
      }),
    ),

  triage: tenantProcedure
    .meta({ permission: "request.triage" })
    .input(triageInput)
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const task = await requireTask(input.id);
        if (task.kind !== "request") throw conflict("This is a task, not a request: there is nothing to triage.");
        if (task.status.category === "done") throw conflict("This request is closed already.");
        const now = Date.now();
        if (input.decision === "accept") {
          const to = input.statusId ? await requireStatus(input.statusId, "todo") : await defaultStatus("todo");
          await setTaskState(task.id, { statusId: to.id, kind: "task" }, now);
          await audit(ctx.actor, "request.accept", { type: "task", id: task.id }, taskDetail(task, { from: task.status.id, to: to.id }));
        } else {
          const to = input.statusId ? await requireStatus(input.statusId, "done") : await defaultStatus("done");
          await setTaskState(task.id, { statusId: to.id, declineReason: input.reason }, now);
          await audit(
            ctx.actor,
            "request.decline",
            { type: "task", id: task.id },
            taskDetail(task, { from: task.status.id, to: to.id, reason: input.reason }),
          );
        }
        return taskView(await requireTask(task.id), ctx.permissions);
      }),
    ),
});
