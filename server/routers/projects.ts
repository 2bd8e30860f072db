import { z } from "zod";
import { findClient } from "../../db/tenant/clients";
import { inTenantTransaction } from "../../db/tenant/context";
import { findProject, insertProject, listProjects, setProjectArchived, updateProject } from "../../db/tenant/projects";
import { audit } from "../audit/audit";
import { newId } from "../auth/tokens";
import { badRequest, conflict, forbidden, isUniqueViolation, notFound } from "../trpc/errors";
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
  budgetSeconds: z
    .number()
    .int()
    .min(0)
    .max(100_000 * 3600)
    .nullish()
    .transform((v) => v ?? null),
});

// Defaults only on create: an update must not reset fields it did not mention.
const createFields = fields.extend({ status: fields.shape.status.default("active"), hourlyRate: fields.shape.hourlyRate.default(0) });

async function requireProject(id: string) {
  const project = await findProject(id);
  if (!project) throw notFound("Project");
  return project;
}

/** Rates and budgets are the agency's business: a role without project.rates.view gets nulls. */
function withRates<T extends { hourly_rate: number; budget_seconds: number | null }>(ctx: { permissions: ReadonlySet<string> }, row: T) {
  return ctx.permissions.has("project.rates.view") ? row : { ...row, hourly_rate: null, budget_seconds: null };
}

function assertMaySetRates(ctx: { permissions: ReadonlySet<string> }, input: { hourlyRate?: number; budgetSeconds?: number | null }) {
  if ((input.hourlyRate !== undefined || input.budgetSeconds !== undefined) && !ctx.permissions.has("project.rates.view")) {
    throw forbidden("Setting rates and budgets needs project.rates.view.");
  }
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
    .query(async ({ ctx, input }) => (await listProjects(input)).map((p) => withRates(ctx, p))),

  get: tenantProcedure
    .meta({ permission: "project.read" })
    .input(orgInput.extend({ id: projectId }))
    .query(async ({ ctx, input }) => withRates(ctx, await requireProject(input.id))),

  create: tenantProcedure
    .meta({ permission: "project.create" })
    .input(orgInput.extend(createFields.shape))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        if (input.hourlyRate !== 0 || input.budgetSeconds !== null) assertMaySetRates(ctx, input);
        await requireLiveClient(input.clientId);
        const project = await insertProject(newId("p"), input, Date.now()).catch(duplicateCode);
        await audit(ctx.actor, "project.create", { type: "project", id: project.id }, { name: project.name });
        return withRates(ctx, await requireProject(project.id));
      }),
    ),

  update: tenantProcedure
    .meta({ permission: "project.update" })
    .input(orgInput.extend({ id: projectId, ...fields.partial().shape }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const { org: _org, id, ...changes } = input;
        await requireProject(id);
        assertMaySetRates(ctx, changes);
        if (changes.clientId) await requireLiveClient(changes.clientId);
        await updateProject(id, changes, Date.now()).catch(duplicateCode);
        await audit(ctx.actor, "project.update", { type: "project", id }, { fields: Object.keys(changes) });
        return withRates(ctx, await requireProject(id));
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
        return withRates(ctx, await requireProject(input.id));
      }),
    ),
});
