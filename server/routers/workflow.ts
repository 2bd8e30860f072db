import { z } from "zod";
import { inTenantTransaction } from "../../db/tenant/context";
import type { StatusCategory, WorkflowStatusRow } from "../../db/tenant/tasks/schema";
import {
  countStatuses,
  deleteStatus,
  findStatus,
  insertStatus,
  listStatuses,
  moveStatusTo,
  reassignTasks,
  statusInUse,
  updateStatus,
  visibleTaskCounts,
} from "../../db/tenant/tasks/statuses";
import { audit } from "../audit/audit";
import { newId } from "../auth/tokens";
import { badRequest, conflict, isUniqueViolation, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { orgInput } from "./inputs";
import * as I from "./task-inputs";

const MAX_STATUSES = 30;
const statusName = z.string().trim().min(1, "Required.").max(50, "Use at most 50 characters.");

async function requireStatusRow(id: string) {
  const status = await findStatus(id);
  if (!status) throw notFound("Status");
  return status;
}

function duplicateName(error: unknown): never {
  if (isUniqueViolation(error)) throw conflict("Another status already has this name.");
  throw error;
}

/**
 * New tasks and requests start in a "todo" status and declined requests end in a "done" one, so the
 * workflow always keeps at least one of each.
 */
async function assertKeepsOneOf(status: WorkflowStatusRow, leavingCategory: boolean) {
  const needed: StatusCategory[] = ["todo", "done"];
  if (leavingCategory && needed.includes(status.category) && (await countStatuses(status.category)) <= 1) {
    throw conflict(`This is the workflow's only "${status.category}" status; add another one first.`);
  }
}

export const workflowRouter = router({
  list: tenantProcedure
    .meta({ permission: "task.read" })
    .input(orgInput)
    .query(async () => {
      const [statuses, counts] = await Promise.all([listStatuses(), visibleTaskCounts()]);
      // Counts cover the projects the caller may see only.
      return statuses.map((s) => ({ ...s, taskCount: counts.get(s.id) ?? 0 }));
    }),

  create: tenantProcedure
    .meta({ permission: "workflow.manage" })
    .input(orgInput.extend({ name: statusName, color: I.colorSchema, category: I.categorySchema }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        if ((await countStatuses()) >= MAX_STATUSES) throw conflict(`A workflow has at most ${MAX_STATUSES} statuses.`);
        const id = newId("w");
        await insertStatus(id, { name: input.name, color: input.color, category: input.category }, Date.now()).catch(duplicateName);
        await audit(ctx.actor, "workflow.status_create", { type: "workflow_status", id }, { name: input.name, category: input.category });
        return requireStatusRow(id);
      }),
    ),

  update: tenantProcedure
    .meta({ permission: "workflow.manage" })
    .input(
      orgInput.extend({
        id: I.statusId,
        name: statusName.optional(),
        color: I.colorSchema.optional(),
        category: I.categorySchema.optional(),
        /** 0-based place on the board; the others shift. */
        position: z.number().int().min(0).max(MAX_STATUSES).optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const { org: _org, id, position, ...changes } = input;
        const status = await requireStatusRow(id);
        if (changes.category !== undefined) await assertKeepsOneOf(status, changes.category !== status.category);
        const now = Date.now();
        await updateStatus(id, changes, now).catch(duplicateName);
        if (position !== undefined) await moveStatusTo(id, position, now);
        const fields = Object.keys(changes).concat(position !== undefined ? ["position"] : []);
        await audit(ctx.actor, "workflow.status_update", { type: "workflow_status", id }, { fields, ...changes });
        return requireStatusRow(id);
      }),
    ),

  delete: tenantProcedure
    .meta({ permission: "workflow.manage" })
    .input(orgInput.extend({ id: I.statusId, moveTo: I.statusId.optional() }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const status = await requireStatusRow(input.id);
        await assertKeepsOneOf(status, true);
        const now = Date.now();
        let moved = 0;
        if (await statusInUse(input.id)) {
          if (!input.moveTo) throw conflict("Tasks use this status. Choose a status to move them to, then delete it.");
          if (input.moveTo === input.id) throw badRequest("Choose a different status to move the tasks to.");
          const target = await findStatus(input.moveTo);
          if (!target) throw badRequest("The status to move the tasks to does not exist.");
          moved = await reassignTasks(input.id, target.id, now);
        }
        await deleteStatus(input.id, now);
        await audit(
          ctx.actor,
          "workflow.status_delete",
          { type: "workflow_status", id: input.id },
          { name: status.name, moved_to: moved ? input.moveTo : null, moved },
        );
        return { id: input.id, deleted: true };
      }),
    ),
});
