import type { Generated, Insertable, Selectable } from "kysely";

/** Times are integer milliseconds since the epoch, UTC. */
export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  email_verified_at: number | null;
  is_staff: number;
  created_at: number;
  updated_at: number;
  /** Set when the account was deleted: name and email then hold the pseudonym, the hash is unusable. */
  deleted_at: Generated<number | null>;
  /** Stable "deleted-user-xxxx" shown wherever the person used to be named. */
  pseudonym: Generated<string | null>;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the session id: a leaked table cannot be replayed as cookies. */
  id: string;
  user_id: string;
  expires_at: number;
  created_at: number;
  last_seen_at: number;
  ip: string | null;
  user_agent: string | null;
}

export interface EmailTokensTable {
  token_hash: string;
  user_id: string;
  purpose: "verify_email" | "reset_password";
  expires_at: number;
  created_at: number;
}

export interface TenantsTable {
  id: string;
  slug: string;
  name: string;
  /** closed = terminated, restorable until purge_after; purged = tombstone (file and key destroyed). */
  /** "purging": claimed by the purge job, its files being deleted; never reopened. */
  status: "provisioning" | "active" | "closed" | "purging" | "purged";
  plan: string;
  features: string;
  file_name: string;
  wrapped_key: string | null;
  created_by: string;
  created_at: number;
  closed_at: Generated<number | null>;
  closed_by: Generated<string | null>;
  purge_after: Generated<number | null>;
  purged_at: Generated<number | null>;
}

export interface MembershipsTable {
  user_id: string;
  tenant_id: string;
  created_at: number;
}

export interface SecurityLogTable {
  id: Generated<number>;
  at: number;
  event: string;
  user_id: string | null;
  email: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: string;
}

export interface SupportGrantsTable {
  id: string;
  tenant_id: string;
  /** SHA-256 of the link token; the token itself is shown once and never stored. */
  token_hash: string;
  scope: "read" | "write";
  reason: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_by: string | null;
  redeemed_by: string | null;
  redeemed_at: number | null;
  expiry_logged: number;
}

export interface SupportSessionsTable {
  /** SHA-256 of the support cookie's value. */
  id: string;
  grant_id: string;
  staff_user_id: string;
  created_at: number;
  expires_at: number;
}

export interface InvitationsTable {
  id: string;
  tenant_id: string;
  /** Lower-cased; only an account with this email can accept. */
  email: string;
  /** A built-in role name or a custom role id of the tenant. */
  role: string;
  client_id: string | null;
  /** SHA-256 of the emailed token; resending replaces it, so only the latest link works. */
  token_hash: string;
  invited_by: string;
  created_at: number;
  sent_at: number;
  expires_at: number;
  accepted_at: number | null;
  accepted_by: string | null;
  revoked_at: number | null;
  revoked_by: string | null;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  tenant_id: string;
  name: string;
  /** SHA-256 (hex) of the whole token ("opl_…"); the token itself is shown once and never stored. */
  token_hash: string;
  /** JSON list of catalogue permission names, fixed at creation; the member's current role narrows them per request. */
  scopes: string;
  created_at: number;
  expires_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface OrgExportsTable {
  id: string;
  tenant_id: string;
  requested_by: string;
  status: "queued" | "running" | "done" | "failed" | "expired";
  /** Progress: rows and files written so far out of total. */
  done: number;
  total: number;
  /** Name of the ZIP under <DATA_DIR>/exports once finished. */
  file_name: string | null;
  bytes: number | null;
  sha256: string | null;
  error: string | null;
  created_at: number;
  finished_at: number | null;
  /** The download link stops working (and the file is deleted) after this. */
  expires_at: number | null;
}

export interface JobRunsTable {
  id: Generated<number>;
  job: string;
  started_at: number;
  finished_at: number | null;
  ok: number | null;
  detail: string;
}

/** A file an account deletion changed, queued for compaction (server/privacy/compaction.ts). */
export interface FileCompactionsTable {
  /** "control", or a tenant id. */
  target: string;
  requested_at: number;
  attempts: Generated<number>;
  last_error: Generated<string | null>;
}

export interface ControlDB {
  file_compactions: FileCompactionsTable;
  org_exports: OrgExportsTable;
  job_runs: JobRunsTable;
  invitations: InvitationsTable;
  users: UsersTable;
  sessions: SessionsTable;
  email_tokens: EmailTokensTable;
  tenants: TenantsTable;
  memberships: MembershipsTable;
  security_log: SecurityLogTable;
  support_grants: SupportGrantsTable;
  support_sessions: SupportSessionsTable;
  api_tokens: ApiTokensTable;
}

export type UserRow = Selectable<UsersTable>;
export type TenantRow = Selectable<TenantsTable>;
export type NewSecurityLog = Insertable<SecurityLogTable>;
export type SupportGrantRow = Selectable<SupportGrantsTable>;
export type InvitationRow = Selectable<InvitationsTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type OrgExportRow = Selectable<OrgExportsTable>;
