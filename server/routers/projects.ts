import { z } from "zod";
import { findClient } from "../../db/tenant/clients";
import { inTenantTransaction } from "../../db/tenant/context";
import { findProject, insertProject, listProjects, setProjectArchived, updateProject } from "../../db/tenant/projects";
import { audit } from "../audit/audit";
import { newId } from "../auth/tokens";
import { badRequest, conflict, isUniqueViolation, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { idSchema, nameSchema, orgInput } from "./inputs";

const projectId = idSchema("p");
const fields = z.object({
  clientId: idSchema("c"),
  name: nameSchema,
  code: z
    .string()
    .trim()
    .max(20, "Use at most 20 characters.")
    .regex(/^[A-Za-z0-9_-]*$/, "Use letters, digits, - and _.")
    .nullish()
    .transform((v) => (v ? v.toUpperCase() : null)),
  status: z.enum(["planned", "active", "on_hold", "completed"]),
  /** Minor units (cents) per hour. */
  hourlyRate: z.number().int("Use whole cents.").min(0).max(100_000_000),
  budgetSeconds: z.number().int().min(0).max(100_000 * 3600).nullish().transform((v) => v ?? null),
});

// Defaults only on create: an update must not reset fields it did not mention.
const createFields = fields.extend({ status: fields.shape.status.default("active"), hourlyRate: fields.shape.hourlyRate.default(0) });

async function requireProject(id: string) {
  const project = await findProject(id);
  if (!project) throw notFound("Project");
  return project;
}

async function requireLiveClient(id: string) {
  const client = await findClient(id);
  if (!client) throw badRequest("That client does not exist in this organisation.");
  if (client.archived_at !== null) throw badRequest("That client is archived; restore it first.");
}

function duplicateCode(error: unknown): never {
  if (isUniqueViolation(error)) throw conflict("Another project already uses this code.");
  throw error;
}

export const projectsRouter = router({
  list: tenantProcedure
    .meta({ permission: "project.read" })
    .input(
      orgInput.extend({
        clientId: idSchema("c").optional(),
        includeArchived: z.boolean().default(false),
        search: z.string().max(200).optional(),
        limit: z.number().int().min(1).max(200).default(50),
        offset: z.number().int().min(0).max(1_000_000).default(0),
      }),
    )
    .query(({ input }) => listProjects(input)),

  get: tenantProcedure
    .meta({ permission: "project.read" })
    .input(orgInput.extend({ id: projectId }))
    .query(({ input }) => requireProject(input.id)),

  create: tenantProcedure
    .meta({ permission: "project.create" })
    .input(orgInput.extend(createFields.shape))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        await requireLiveClient(input.clientId);
        const project = await insertProject(newId("p"), input, Date.now()).catch(duplicateCode);
        await audit(ctx.actor, "project.create", { type: "project", id: project.id }, { name: project.name });
        return requireProject(project.id);
      }),
    ),

  update: tenantProcedure
    .meta({ permission: "project.update" })
    .input(orgInput.extend({ id: projectId, ...fields.partial().shape }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const { org: _org, id, ...changes } = input;
        await requireProject(id);
        if (changes.clientId) await requireLiveClient(changes.clientId);
        await updateProject(id, changes, Date.now()).catch(duplicateCode);
        await audit(ctx.actor, "project.update", { type: "project", id }, { fields: Object.keys(changes) });
        return requireProject(id);
      }),
    ),

  setArchived: tenantProcedure
    .meta({ permission: "project.archive" })
    .input(orgInput.extend({ id: projectId, archived: z.boolean() }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        await requireProject(input.id);
        const now = Date.now();
        await setProjectArchived(input.id, input.archived ? now : null, now);
        await audit(ctx.actor, input.archived ? "project.archive" : "project.restore", { type: "project", id: input.id });
        return requireProject(input.id);
      }),
    ),
});
