import type { Generated, Selectable } from "kysely";

export const SERVICE_KINDS = ["github", "gitlab", "stripe", "aws", "google", "slack", "other"] as const;
export const SERVICE_CREDENTIAL_TYPES = ["api_key", "oauth", "basic", "ssh_key"] as const;
export const SERVER_ENVIRONMENTS = ["production", "staging", "development", "other"] as const;
export const SERVER_CREDENTIAL_TYPES = ["basic", "ssh_key", "api_key"] as const;
export const LOG_OUTCOMES = ["success", "failure", "running"] as const;

export type ServiceKind = (typeof SERVICE_KINDS)[number];
export type CredentialType = (typeof SERVICE_CREDENTIAL_TYPES)[number];

export interface ConnectedServicesTable {
  id: string;
  kind: ServiceKind;
  name: string;
  base_url: string | null;
  credential_type: CredentialType;
  /** Envelope sealed with AAD { org, table: "connected_services", row: id, field: "secret" }. */
  secret: Buffer;
  /** The last characters of the secret (may be empty), for the mask; never the secret itself. */
  secret_hint: string;
  oauth_expires_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface ServersTable {
  id: string;
  name: string;
  host: string;
  environment: (typeof SERVER_ENVIRONMENTS)[number];
  credential_type: (typeof SERVER_CREDENTIAL_TYPES)[number];
  /** Envelope sealed with AAD { org, table: "servers", row: id, field: "secret" }. */
  secret: Buffer;
  secret_hint: string;
  created_at: number;
  updated_at: number;
}

export interface ServerLogsTable {
  id: Generated<number>;
  server_id: string;
  at: number;
  actor_id: string | null;
  action: string;
  outcome: (typeof LOG_OUTCOMES)[number];
  log: string;
}

export interface VaultTables {
  connected_services: ConnectedServicesTable;
  servers: ServersTable;
  server_logs: ServerLogsTable;
}

export type ConnectedServiceRow = Selectable<ConnectedServicesTable>;
export type ServerRow = Selectable<ServersTable>;
export type ServerLogRow = Selectable<ServerLogsTable>;
