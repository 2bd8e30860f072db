import type { Generated, Selectable } from "kysely";
import type { InvoiceTables } from "./invoices/schema";
import type { RateReviewTables } from "./rates/scale-reviews";
import type { TaskTables } from "./tasks/schema";
import type { TimeTables } from "./time/schema";
import type { WebhookTables } from "./webhooks/schema";
import type { VaultTables } from "./vault/schema";

/** Tenant tables carry no tenant_id: the file is the tenant. Times are integer ms, UTC. */
export interface MembersTable {
  user_id: string;
  role: string;
  name: string;
  email: string;
  joined_at: number;
  /** Set for a client contact: they see only this client's shared projects, whatever their role. */
  client_id: Generated<string | null>;
  /** 1 = sends this member the daily activity digest. */
  digest_opt_in: Generated<number>;
  /** Organisation-local date of the last digest sent. */
  digest_sent_on: Generated<string | null>;
}

export interface RolesTable {
  id: string;
  name: string;
  description: string;
  /** JSON array of catalogue permission names. */
  permissions: string;
  created_at: number;
  updated_at: number;
}

export interface ProjectSharesTable {
  project_id: string;
  subject_kind: "member" | "role" | "client";
  subject_id: string;
  created_by: string | null;
  created_at: number;
}

export interface OrgSettingsTable {
  id: number;
  /** IANA zone used for display and for day/week boundaries. */
  time_zone: string;
  /** ISO 4217 code; amounts are integer minor units. */
  currency: string;
  /** 1 = Monday … 7 = Sunday. */
  week_start: number;
  updated_at: number;
  /** Audit rows older than this many days are purged by the retention job. */
  audit_retention_days: Generated<number>;
  /** Local hour (0–23) at which daily digests are sent. */
  digest_hour: Generated<number>;
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
  /** 1 = placed in the organisation's shared space: every member (not client contacts) sees it. */
  shared_space: Generated<number>;
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

export interface TenantDB extends TaskTables, TimeTables, InvoiceTables, VaultTables, WebhookTables, RateReviewTables {
  members: MembersTable;
  roles: RolesTable;
  project_shares: ProjectSharesTable;
  org_settings: OrgSettingsTable;
  clients: ClientsTable;
  projects: ProjectsTable;
  audit_log: AuditLogTable;
}

export type ClientRow = Selectable<ClientsTable>;
export type ProjectRow = Selectable<ProjectsTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type MemberRow = Selectable<MembersTable>;
export type RoleRow = Selectable<RolesTable>;
