import { z } from "zod";
import { inTenantTransaction } from "../../db/tenant/context";
import { deleteLabel, findLabel, insertLabel, listLabels, updateLabel } from "../../db/tenant/tasks/labels";
import { audit } from "../audit/audit";
import { newId } from "../auth/tokens";
import { conflict, isUniqueViolation, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { orgInput } from "./inputs";
import * as I from "./task-inputs";

const MAX_LABELS = 200;
const labelName = z.string().trim().min(1, "Required.").max(50, "Use at most 50 characters.");

async function requireLabel(id: string) {
  const label = await findLabel(id);
  if (!label) throw notFound("Label");
  return label;
}

function duplicateName(error: unknown): never {
  if (isUniqueViolation(error)) throw conflict("Another label already has this name.");
  throw error;
}

/** The organisation's task labels. */
export const labelsRouter = router({
  list: tenantProcedure
    .meta({ permission: "task.read" })
    .input(orgInput)
    .query(() => listLabels()),

  create: tenantProcedure
    .meta({ permission: "label.manage" })
    .input(orgInput.extend({ name: labelName, color: I.colorSchema.default("#8a94a6") }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        if ((await listLabels()).length >= MAX_LABELS) throw conflict(`An organisation has at most ${MAX_LABELS} labels.`);
        const id = newId("l");
        await insertLabel(id, { name: input.name, color: input.color }, Date.now()).catch(duplicateName);
        await audit(ctx.actor, "label.create", { type: "label", id }, { name: input.name });
        return requireLabel(id);
      }),
    ),

  update: tenantProcedure
    .meta({ permission: "label.manage" })
    .input(orgInput.extend({ id: I.labelId, name: labelName.optional(), color: I.colorSchema.optional() }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const { org: _org, id, ...changes } = input;
        await requireLabel(id);
        await updateLabel(id, changes, Date.now()).catch(duplicateName);
        await audit(ctx.actor, "label.update", { type: "label", id }, { fields: Object.keys(changes), ...changes });
        return requireLabel(id);
      }),
    ),

  delete: tenantProcedure
    .meta({ permission: "label.manage" })
    .input(orgInput.extend({ id: I.labelId }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const label = await requireLabel(input.id);
        await deleteLabel(input.id);
        await audit(ctx.actor, "label.delete", { type: "label", id: input.id }, { name: label.name });
        return { id: input.id, deleted: true };
      }),
    ),
});
