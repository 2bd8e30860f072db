import type { Generated, Selectable } from "kysely";

/** Tenant tables carry no tenant_id: the file is the tenant. Times are integer ms, UTC. */
export interface MembersTable {
  user_id: string;
  role: string;
  name: string;
  email: string;
  joined_at: number;
}

export interface ClientsTable {
  id: string;
  name: string;
  contact_email: string | null;
  notes: string;
  archived_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface ProjectsTable {
  id: string;
  client_id: string;
  name: string;
  code: string | null;
  status: "planned" | "active" | "on_hold" | "completed";
  /** Minor units (cents) per hour. */
  hourly_rate: number;
  /** Durations are seconds everywhere; the UI shows hours. */
  budget_seconds: number | null;
  archived_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor_kind: "user" | "support" | "api" | "system";
  actor_id: string | null;
  ip: string | null;
  user_agent: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  detail: string;
}

export interface TenantDB {
  members: MembersTable;
  clients: ClientsTable;
  projects: ProjectsTable;
  audit_log: AuditLogTable;
}

export type ClientRow = Selectable<ClientsTable>;
export type ProjectRow = Selectable<ProjectsTable>;
export type AuditRow = Selectable<AuditLogTable>;
