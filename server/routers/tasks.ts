import { z } from "zod";
import { inTenantTransaction } from "../../db/tenant/context";
import { deleteAttachmentsOf } from "../../db/tenant/files/attachments";
import { listStatuses } from "../../db/tenant/tasks/statuses";
import { boardTasks, listTasks } from "../../db/tenant/tasks/task-list";
import { visibleProjectOptions } from "../../db/tenant/tasks/project-options";
import {
  assignableMembers,
  deleteTask,
  insertTask,
  setAssignees,
  setLabels,
  setTaskState,
  taskHasTime,
  updateTask,
} from "../../db/tenant/tasks/tasks";
import { audit } from "../audit/audit";
import { newId } from "../auth/tokens";
import { removeAttachmentBlobs } from "../files/cleanup";
import { conflict, forbidden } from "../trpc/errors";
import { router } from "../trpc/init";
import { emitEvent } from "../webhooks/events";
import { tenantProcedure } from "../trpc/procedures";
import { nameSchema, orgInput } from "./inputs";
import * as I from "./task-inputs";
import {
  defaultStatus,
  requireLabels,
  requireLiveProject,
  requireMembers,
  requireStatus,
  requireTask,
  taskAbilities,
  taskDetail,
  taskView,
} from "./task-rules";

const editable = z.object({
  title: nameSchema,
  description: I.descriptionSchema,
  priority: I.prioritySchema,
  dueDate: I.calendarDate.nullable(),
  estimateSeconds: I.estimateSchema.nullable(),
  labelIds: I.labelIds,
});

const listFilters = {
  projectId: I.projectId.optional(),
  assigneeId: I.userId.optional(),
  statusId: I.statusId.optional(),
  category: I.categorySchema.optional(),
  kind: I.kindSchema.optional(),
  dueBefore: I.calendarDate.optional(),
  dueAfter: I.calendarDate.optional(),
  labelId: I.labelId.optional(),
  search: z.string().trim().min(1).max(200).optional(),
};

export const tasksRouter = router({
  list: tenantProcedure
    .meta({ permission: "task.read" })
    .input(
      orgInput
        .extend({
          ...listFilters,
          sort: z.enum(["due", "priority", "updated", "created", "title"]).default("updated"),
          direction: z.enum(["asc", "desc"]).optional(),
          ...I.offsetPage,
        })
        .refine((v) => !v.dueBefore || !v.dueAfter || v.dueAfter <= v.dueBefore, {
          message: "“Due after” is later than “due before”.",
          path: ["dueBefore"],
        }),
    )
    .query(({ input }) => {
      const { org: _org, sort, direction, limit, offset, ...filter } = input;
      return listTasks(filter, { sort, direction }, { limit, offset });
    }),

  board: tenantProcedure
    .meta({ permission: "task.read" })
    .input(
      orgInput.extend({
        projectId: I.projectId.optional(),
        kind: I.kindSchema.optional(),
        perColumn: z.number().int().min(1).max(100).default(25),
      }),
    )
    .query(async ({ ctx, input }) => {
      const statuses = await listStatuses();
      const { byStatus, totals } = await boardTasks(
        statuses.map((s) => s.id),
        input,
      );
      return {
        columns: statuses.map((s) => ({
          status: { id: s.id, name: s.name, color: s.color, category: s.category },
          tasks: byStatus.get(s.id) ?? [],
          total: totals.get(s.id) ?? 0,
        })),
        can: taskAbilities(ctx.permissions),
      };
    }),

  get: tenantProcedure
    .meta({ permission: "task.read" })
    .input(orgInput.extend({ id: I.taskId }))
    .query(async ({ ctx, input }) => taskView(await requireTask(input.id), ctx.permissions)),

  /** Projects the caller may add tasks to (visible, not archived): the pickers of the task forms. */
  projects: tenantProcedure
    .meta({ permission: "task.read" })
    .input(orgInput)
    .query(() => visibleProjectOptions()),

  /** Members a task can be assigned to. */
  assignable: tenantProcedure
    .meta({ permission: "task.assign" })
    .input(orgInput)
    .query(() => assignableMembers()),

  create: tenantProcedure
    .meta({ permission: "task.create" })
    .input(
      orgInput.extend({
        projectId: I.projectId,
        statusId: I.statusId.optional(),
        ...editable.shape,
        description: editable.shape.description.default(""),
        priority: editable.shape.priority.default("normal"),
        dueDate: editable.shape.dueDate.default(null),
        estimateSeconds: editable.shape.estimateSeconds.default(null),
        labelIds: editable.shape.labelIds.default([]),
        assigneeIds: I.assigneeIds.default([]),
      }),
    )
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        // Assigning is its own permission, whether at creation or later.
        if (input.assigneeIds.length > 0 && !ctx.permissions.has("task.assign"))
          throw forbidden("Your role does not allow this (needs task.assign).");
        await requireLiveProject(input.projectId);
        const status = input.statusId ? await requireStatus(input.statusId) : await defaultStatus("todo");
        await requireMembers(input.assigneeIds);
        await requireLabels(input.labelIds);
        const id = newId("k");
        await insertTask({ id, ...input, statusId: status.id, kind: "task", createdBy: ctx.actor.id }, Date.now());
        await setLabels(id, input.labelIds);
        await setAssignees(id, input.assigneeIds);
        await audit(
          ctx.actor,
          "task.create",
          { type: "task", id },
          taskDetail({ id, projectId: input.projectId }, { title: input.title, status_id: status.id, assignees: input.assigneeIds }),
        );
        await emitEvent(ctx.services, "task.created", {
          task: {
            id,
            project_id: input.projectId,
            title: input.title,
            status_id: status.id,
            priority: input.priority,
            due_date: input.dueDate,
            assignee_ids: input.assigneeIds,
          },
        });
        return taskView(await requireTask(id), ctx.permissions);
      }),
    ),

  update: tenantProcedure
    .meta({ permission: "task.update" })
    .input(orgInput.extend({ id: I.taskId, ...editable.partial().shape }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const { org: _org, id, labelIds, ...changes } = input;
        const task = await requireTask(id);
        if (labelIds) {
          await requireLabels(labelIds);
          await setLabels(id, labelIds);
        }
        await updateTask(id, changes, Date.now());
        const fields = Object.keys(changes).concat(labelIds ? ["labelIds"] : []);
        await audit(ctx.actor, "task.update", { type: "task", id }, taskDetail(task, { fields }));
        return taskView(await requireTask(id), ctx.permissions);
      }),
    ),

  assign: tenantProcedure
    .meta({ permission: "task.assign" })
    .input(orgInput.extend({ id: I.taskId, assigneeIds: I.assigneeIds }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const task = await requireTask(input.id);
        await requireMembers(input.assigneeIds);
        const change = await setAssignees(input.id, input.assigneeIds);
        await updateTask(input.id, {}, Date.now());
        await audit(ctx.actor, "task.assign", { type: "task", id: input.id }, taskDetail(task, change));
        return taskView(await requireTask(input.id), ctx.permissions);
      }),
    ),

  move: tenantProcedure
    .meta({ permission: "task.move" })
    .input(orgInput.extend({ id: I.taskId, statusId: I.statusId }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const task = await requireTask(input.id);
        const to = await requireStatus(input.statusId);
        // Moving to where it already is changes nothing, so there is nothing to record.
        if (to.id !== task.status.id) {
          await setTaskState(input.id, { statusId: to.id }, Date.now());
          await audit(
            ctx.actor,
            "task.move",
            { type: "task", id: input.id },
            taskDetail(task, { from: task.status.id, from_name: task.status.name, to: to.id, to_name: to.name }),
          );
          await emitEvent(ctx.services, "task.status_changed", {
            task: { id: input.id, project_id: task.projectId, title: task.title },
            from: { id: task.status.id, name: task.status.name },
            to: { id: to.id, name: to.name },
          });
        }
        return taskView(await requireTask(input.id), ctx.permissions);
      }),
    ),

  delete: tenantProcedure
    .meta({ permission: "task.delete" })
    .input(orgInput.extend({ id: I.taskId }))
    .mutation(async ({ ctx, input }) => {
      // The task's attachments go with it: their rows in this transaction, their blobs once it has committed.
      const files = await inTenantTransaction(async () => {
        const task = await requireTask(input.id);
        if (await taskHasTime(input.id))
          throw conflict("Time has been tracked on this task; it cannot be deleted. Move it to a done status instead.");
        const files = await deleteAttachmentsOf("task", input.id);
        await deleteTask(input.id);
        await audit(
          ctx.actor,
          "task.delete",
          { type: "task", id: input.id },
          taskDetail(task, { title: task.title, ...(files.length > 0 && { files: files.length }) }),
        );
        return files;
      });
      await removeAttachmentBlobs(ctx.services, ctx.tenant.id, files);
      return { id: input.id, deleted: true };
    }),
});
