import { z } from "zod";
import { findClient, insertClient, listClients, setClientArchived, updateClient } from "../../db/tenant/clients";
import { inTenantTransaction } from "../../db/tenant/context";
import { audit } from "../audit/audit";
import { newId } from "../auth/tokens";
import { conflict, isUniqueViolation, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { idSchema, nameSchema, notesSchema, optionalEmail, orgInput } from "./inputs";

const clientId = idSchema("c");
const fields = z.object({ name: nameSchema, contactEmail: optionalEmail, notes: notesSchema });
// Defaults only on create: an update must not reset fields it did not mention.
const createFields = fields.extend({ notes: notesSchema.default("") });

async function requireClient(id: string) {
  const client = await findClient(id);
  if (!client) throw notFound("Client");
  return client;
}

function duplicateName(error: unknown): never {
  if (isUniqueViolation(error)) throw conflict("A client with this name already exists.");
  throw error;
}

export const clientsRouter = router({
  list: tenantProcedure
    .meta({ permission: "client.read" })
    .input(orgInput.extend({ includeArchived: z.boolean().default(false), search: z.string().max(200).optional() }))
    .query(({ input }) => listClients(input)),

  get: tenantProcedure
    .meta({ permission: "client.read" })
    .input(orgInput.extend({ id: clientId }))
    .query(({ input }) => requireClient(input.id)),

  create: tenantProcedure
    .meta({ permission: "client.create" })
    .input(orgInput.extend(createFields.shape))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const client = await insertClient(newId("c"), input, Date.now()).catch(duplicateName);
        await audit(ctx.actor, "client.create", { type: "client", id: client.id }, { name: client.name });
        return client;
      }),
    ),

  update: tenantProcedure
    .meta({ permission: "client.update" })
    .input(orgInput.extend({ id: clientId, ...fields.partial().shape }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const { org: _org, id, ...changes } = input;
        await requireClient(id);
        await updateClient(id, changes, Date.now()).catch(duplicateName);
        await audit(ctx.actor, "client.update", { type: "client", id }, { fields: Object.keys(changes) });
        return requireClient(id);
      }),
    ),

  setArchived: tenantProcedure
    .meta({ permission: "client.archive" })
    .input(orgInput.extend({ id: clientId, archived: z.boolean() }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        await requireClient(input.id);
        const now = Date.now();
        await setClientArchived(input.id, input.archived ? now : null, now);
        await audit(ctx.actor, input.archived ? "client.archive" : "client.restore", { type: "client", id: input.id });
        return requireClient(input.id);
      }),
    ),
});
