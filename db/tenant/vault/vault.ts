import { tenantDb } from "../context";
import type { ConnectedServicesTable, ServerLogsTable, ServersTable } from "./schema";

/**
 * Rows of the credentials vault. The `secret` column is read only by `findSecret` (for
 * server/vault/secrets.ts); every listing selects the public columns by name, so an envelope never
 * travels further than it must.
 */

const SERVICE_COLUMNS = [
  "id",
  "kind",
  "name",
  "base_url",
  "credential_type",
  "secret_hint",
  "oauth_expires_at",
  "created_at",
  "updated_at",
] as const;
const SERVER_COLUMNS = ["id", "name", "host", "environment", "credential_type", "secret_hint", "created_at", "updated_at"] as const;
const LOG_COLUMNS = ["id", "server_id", "at", "actor_id", "action", "outcome", "log"] as const;

export type VaultTable = "connected_services" | "servers";

export function listServices() {
  return tenantDb().selectFrom("connected_services").select(SERVICE_COLUMNS).orderBy("name").orderBy("id").execute();
}

export function findService(id: string) {
  return tenantDb().selectFrom("connected_services").select(SERVICE_COLUMNS).where("id", "=", id).executeTakeFirst();
}

export async function insertService(row: ConnectedServicesTable) {
  await tenantDb().insertInto("connected_services").values(row).execute();
}

export async function updateService(id: string, changes: Partial<Omit<ConnectedServicesTable, "id" | "created_at">>) {
  await tenantDb().updateTable("connected_services").set(changes).where("id", "=", id).execute();
}

export function listServers() {
  return tenantDb().selectFrom("servers").select(SERVER_COLUMNS).orderBy("name").orderBy("id").execute();
}

export function findServer(id: string) {
  return tenantDb().selectFrom("servers").select(SERVER_COLUMNS).where("id", "=", id).executeTakeFirst();
}

export async function insertServer(row: ServersTable) {
  await tenantDb().insertInto("servers").values(row).execute();
}

export async function updateServer(id: string, changes: Partial<Omit<ServersTable, "id" | "created_at">>) {
  await tenantDb().updateTable("servers").set(changes).where("id", "=", id).execute();
}

/** Deletes a service or server (a server's logs go with it, by the foreign key). */
export async function deleteVaultRow(table: VaultTable, id: string) {
  await tenantDb().deleteFrom(table).where("id", "=", id).execute();
}

/** The sealed secret of one row, for server/vault/secrets.ts only. */
export async function findSecret(table: VaultTable, id: string): Promise<Buffer | undefined> {
  const row = await tenantDb().selectFrom(table).select("secret").where("id", "=", id).executeTakeFirst();
  return row?.secret;
}

export async function insertServerLog(row: Omit<ServerLogsTable, "id">) {
  const { id } = await tenantDb().insertInto("server_logs").values(row).returning("id").executeTakeFirstOrThrow();
  return { id, ...row };
}

/** Newest first; `beforeId` pages further back. */
export function listServerLogs(serverId: string, opts: { limit: number; beforeId?: number }) {
  let q = tenantDb().selectFrom("server_logs").select(LOG_COLUMNS).where("server_id", "=", serverId);
  if (opts.beforeId !== undefined) q = q.where("id", "<", opts.beforeId);
  return q.orderBy("id", "desc").limit(opts.limit).execute();
}
