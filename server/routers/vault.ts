import { z } from "zod";
import { inTenantTransaction } from "../../db/tenant/context";
import { LOG_OUTCOMES, SERVER_ENVIRONMENTS, SERVICE_KINDS } from "../../db/tenant/vault/schema";
import {
  deleteVaultRow,
  findServer,
  findService,
  insertServer,
  insertServerLog,
  insertService,
  listServerLogs,
  listServers,
  listServices,
  updateServer,
  updateService,
} from "../../db/tenant/vault/vault";
import { audit } from "../audit/audit";
import { newId } from "../auth/tokens";
import { notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { hintOf, masked, sealCredential, serverCredential, serviceCredential } from "../vault/secrets";
import { idSchema, nameSchema, orgInput } from "./inputs";

/**
 * The credentials vault (issue 7, item 3): connected services and servers. Secrets are write-only:
 * they go in through create/update and never come back; answers carry `secretHint` ("••••" and at
 * most the last 4 characters). Answers are built field by field, never by spreading a row.
 */

const serviceId = idSchema("s");
const serverId = idSchema("h");
const LOG_MAX_BYTES = 100 * 1024;

const baseUrl = z
  .url("Enter a valid URL.")
  .max(2000, "Use at most 2,000 characters.")
  // Zod runs refinements after a failed format check too: parse defensively.
  .refine((v) => /^https?:/i.test(v) && URL.canParse(v), "Use an http or https URL.")
  .nullish()
  .transform((v) => v ?? null);
const host = z
  .string()
  .trim()
  .min(1, "Required.")
  .max(253, "Use at most 253 characters.")
  .regex(/^[A-Za-z0-9._:[\]-]+$/, "Use a host name or IP address, optionally with :port.");

const serviceFields = z.object({ kind: z.enum(SERVICE_KINDS), name: nameSchema, baseUrl });
const serverFields = z.object({ name: nameSchema, host, environment: z.enum(SERVER_ENVIRONMENTS) });

type ServiceOut = NonNullable<Awaited<ReturnType<typeof findService>>>;
type ServerOut = NonNullable<Awaited<ReturnType<typeof findServer>>>;

const publicService = (r: ServiceOut) => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  baseUrl: r.base_url,
  credentialType: r.credential_type,
  secretHint: masked(r.secret_hint),
  oauthExpiresAt: r.oauth_expires_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const publicServer = (r: ServerOut) => ({
  id: r.id,
  name: r.name,
  host: r.host,
  environment: r.environment,
  credentialType: r.credential_type,
  secretHint: masked(r.secret_hint),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

async function requireService(id: string) {
  const row = await findService(id);
  if (!row) throw notFound("Connected service");
  return row;
}

async function requireServer(id: string) {
  const row = await findServer(id);
  if (!row) throw notFound("Server");
  return row;
}

export const connectionsRouter = router({
  list: tenantProcedure
    .meta({ permission: "integration.read" })
    .input(orgInput)
    .query(async () => (await listServices()).map(publicService)),

  get: tenantProcedure
    .meta({ permission: "integration.read" })
    .input(orgInput.extend({ id: serviceId }))
    .query(async ({ input }) => publicService(await requireService(input.id))),

  create: tenantProcedure
    .meta({ permission: "integration.manage" })
    .input(orgInput.extend({ ...serviceFields.shape, credential: serviceCredential }))
    .mutation(async ({ ctx, input }) => {
      const id = newId("s");
      // Sealed before the write transaction: the data key lookup reads the control database.
      const secret = await sealCredential(ctx.services, "connected_services", id, input.credential);
      return inTenantTransaction(async () => {
        const now = ctx.services.clock.now();
        await insertService({
          id,
          kind: input.kind,
          name: input.name,
          base_url: input.baseUrl,
          credential_type: input.credential.type,
          secret,
          secret_hint: hintOf(input.credential),
          oauth_expires_at: input.credential.type === "oauth" ? input.credential.expiresAt : null,
          created_at: now,
          updated_at: now,
        });
        await audit(
          ctx.actor,
          "connection.create",
          { type: "connected_service", id },
          { name: input.name, kind: input.kind, credentialType: input.credential.type },
        );
        return publicService(await requireService(id));
      });
    }),

  /** Changes what is given; the secret is replaced only when a new credential is given. */
  update: tenantProcedure
    .meta({ permission: "integration.manage" })
    .input(orgInput.extend({ id: serviceId, ...serviceFields.partial().shape, credential: serviceCredential.optional() }))
    .mutation(async ({ ctx, input }) => {
      const { org: _org, id, credential, ...fields } = input;
      await requireService(id);
      const secret = credential ? await sealCredential(ctx.services, "connected_services", id, credential) : null;
      return inTenantTransaction(async () => {
        await requireService(id);
        await updateService(id, {
          ...(fields.kind !== undefined && { kind: fields.kind }),
          ...(fields.name !== undefined && { name: fields.name }),
          ...("baseUrl" in fields && fields.baseUrl !== undefined && { base_url: fields.baseUrl }),
          ...(credential &&
            secret && {
              credential_type: credential.type,
              secret,
              secret_hint: hintOf(credential),
              oauth_expires_at: credential.type === "oauth" ? credential.expiresAt : null,
            }),
          updated_at: ctx.services.clock.now(),
        });
        await audit(
          ctx.actor,
          "connection.update",
          { type: "connected_service", id },
          { fields: Object.keys(fields), secretReplaced: credential !== undefined },
        );
        return publicService(await requireService(id));
      });
    }),

  delete: tenantProcedure
    .meta({ permission: "integration.manage" })
    .input(orgInput.extend({ id: serviceId }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const row = await requireService(input.id);
        await deleteVaultRow("connected_services", input.id);
        await audit(ctx.actor, "connection.delete", { type: "connected_service", id: input.id }, { name: row.name });
        return { id: input.id };
      }),
    ),
});

export const serversRouter = router({
  list: tenantProcedure
    .meta({ permission: "integration.read" })
    .input(orgInput)
    .query(async () => (await listServers()).map(publicServer)),

  get: tenantProcedure
    .meta({ permission: "integration.read" })
    .input(orgInput.extend({ id: serverId }))
    .query(async ({ input }) => publicServer(await requireServer(input.id))),

  create: tenantProcedure
    .meta({ permission: "integration.manage" })
    .input(orgInput.extend({ ...serverFields.shape, credential: serverCredential }))
    .mutation(async ({ ctx, input }) => {
      const id = newId("h");
      const secret = await sealCredential(ctx.services, "servers", id, input.credential);
      return inTenantTransaction(async () => {
        const now = ctx.services.clock.now();
        await insertServer({
          id,
          name: input.name,
          host: input.host,
          environment: input.environment,
          credential_type: input.credential.type,
          secret,
          secret_hint: hintOf(input.credential),
          created_at: now,
          updated_at: now,
        });
        await audit(
          ctx.actor,
          "server.create",
          { type: "server", id },
          { name: input.name, host: input.host, credentialType: input.credential.type },
        );
        return publicServer(await requireServer(id));
      });
    }),

  update: tenantProcedure
    .meta({ permission: "integration.manage" })
    .input(orgInput.extend({ id: serverId, ...serverFields.partial().shape, credential: serverCredential.optional() }))
    .mutation(async ({ ctx, input }) => {
      const { org: _org, id, credential, ...fields } = input;
      await requireServer(id);
      const secret = credential ? await sealCredential(ctx.services, "servers", id, credential) : null;
      return inTenantTransaction(async () => {
        await requireServer(id);
        await updateServer(id, {
          ...(fields.name !== undefined && { name: fields.name }),
          ...(fields.host !== undefined && { host: fields.host }),
          ...(fields.environment !== undefined && { environment: fields.environment }),
          ...(credential && secret && { credential_type: credential.type, secret, secret_hint: hintOf(credential) }),
          updated_at: ctx.services.clock.now(),
        });
        await audit(
          ctx.actor,
          "server.update",
          { type: "server", id },
          { fields: Object.keys(fields), secretReplaced: credential !== undefined },
        );
        return publicServer(await requireServer(id));
      });
    }),

  delete: tenantProcedure
    .meta({ permission: "integration.manage" })
    .input(orgInput.extend({ id: serverId }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const row = await requireServer(input.id);
        await deleteVaultRow("servers", input.id);
        await audit(ctx.actor, "server.delete", { type: "server", id: input.id }, { name: row.name, host: row.host });
        return { id: input.id };
      }),
    ),

  /** One deployment or operation: who (the caller), when (now), what, outcome, and its log text. */
  appendLog: tenantProcedure
    .meta({ permission: "integration.manage" })
    .input(
      orgInput.extend({
        serverId,
        action: z.string().trim().min(1, "Required.").max(200, "Use at most 200 characters."),
        outcome: z.enum(LOG_OUTCOMES),
        log: z
          .string()
          .max(LOG_MAX_BYTES, "Use at most 100 KB.")
          .refine((v) => Buffer.byteLength(v, "utf8") <= LOG_MAX_BYTES, "Use at most 100 KB.")
          .default(""),
      }),
    )
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        await requireServer(input.serverId);
        const entry = await insertServerLog({
          server_id: input.serverId,
          at: ctx.services.clock.now(),
          actor_id: ctx.actor.id,
          action: input.action,
          outcome: input.outcome,
          log: input.log,
        });
        await audit(
          ctx.actor,
          "server.log_append",
          { type: "server", id: input.serverId },
          { action: input.action, outcome: input.outcome, logId: entry.id },
        );
        return {
          id: entry.id,
          serverId: entry.server_id,
          at: entry.at,
          actorId: entry.actor_id,
          action: entry.action,
          outcome: entry.outcome,
          log: entry.log,
        };
      }),
    ),

  logs: tenantProcedure
    .meta({ permission: "integration.read" })
    .input(
      orgInput.extend({
        serverId,
        limit: z.number().int().min(1).max(100).default(20),
        beforeId: z.number().int().min(1).optional(),
      }),
    )
    .query(async ({ input }) => {
      await requireServer(input.serverId);
      const rows = await listServerLogs(input.serverId, { limit: input.limit, beforeId: input.beforeId });
      return rows.map((r) => ({
        id: r.id,
        serverId: r.server_id,
        at: r.at,
        actorId: r.actor_id,
        action: r.action,
        outcome: r.outcome,
        log: r.log,
      }));
    }),
});
