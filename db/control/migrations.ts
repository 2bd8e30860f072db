import { sql, type Kysely, type Migration } from "kysely";

export const controlMigrations: Record<string, Migration> = {
  "0001_accounts_and_tenants": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("users")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("email", "text", (c) => c.notNull().unique())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("password_hash", "text", (c) => c.notNull())
        .addColumn("email_verified_at", "integer")
        .addColumn("is_staff", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "integer", (c) => c.notNull())
        .addColumn("updated_at", "integer", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("sessions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("expires_at", "integer", (c) => c.notNull())
        .addColumn("created_at", "integer", (c) => c.notNull())
        .addColumn("last_seen_at", "integer", (c) => c.notNull())
        .addColumn("ip", "text")
        .addColumn("user_agent", "text")
        .execute();
      await db.schema.createIndex("sessions_user").on("sessions").column("user_id").execute();
      await db.schema.createIndex("sessions_expiry").on("sessions").column("expires_at").execute();
      await db.schema
        .createTable("email_tokens")
        .addColumn("token_hash", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("purpose", "text", (c) => c.notNull())
        .addColumn("expires_at", "integer", (c) => c.notNull())
        .addColumn("created_at", "integer", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("email_tokens_user").on("email_tokens").columns(["user_id", "purpose"]).execute();
      await db.schema
        .createTable("tenants")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("slug", "text", (c) => c.notNull().unique())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("plan", "text", (c) => c.notNull().defaultTo("standard"))
        .addColumn("features", "text", (c) => c.notNull().defaultTo("{}"))
        .addColumn("file_name", "text", (c) => c.notNull().unique())
        .addColumn("wrapped_key", "text")
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "integer", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("memberships")
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
        .addColumn("created_at", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("memberships_pk", ["user_id", "tenant_id"])
        .execute();
      await db.schema.createIndex("memberships_tenant").on("memberships").column("tenant_id").execute();
      await db.schema
        .createTable("security_log")
        .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("at", "integer", (c) => c.notNull())
        .addColumn("event", "text", (c) => c.notNull())
        .addColumn("user_id", "text")
        .addColumn("email", "text")
        .addColumn("ip", "text")
        .addColumn("user_agent", "text")
        .addColumn("detail", "text", (c) => c.notNull().defaultTo("{}"))
        .execute();
      await db.schema.createIndex("security_log_user").on("security_log").columns(["user_id", "at"]).execute();
      await db.schema.createIndex("security_log_at").on("security_log").column("at").execute();
    },
  },
  "0002_support_grants": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("support_grants")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "integer", (c) => c.notNull())
        .addColumn("expires_at", "integer", (c) => c.notNull())
        .addColumn("revoked_at", "integer")
        .addColumn("revoked_by", "text")
        .addColumn("redeemed_by", "text")
        .addColumn("redeemed_at", "integer")
        .addColumn("expiry_logged", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex("support_grants_tenant").on("support_grants").columns(["tenant_id", "created_at"]).execute();
      await db.schema
        .createTable("support_sessions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("grant_id", "text", (c) => c.notNull().references("support_grants.id").onDelete("cascade"))
        .addColumn("staff_user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("created_at", "integer", (c) => c.notNull())
        .addColumn("expires_at", "integer", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("support_sessions_grant").on("support_sessions").column("grant_id").execute();
    },
  },
  "0003_invitations": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("invitations")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
        .addColumn("email", "text", (c) => c.notNull())
        .addColumn("role", "text", (c) => c.notNull())
        .addColumn("client_id", "text")
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("invited_by", "text", (c) => c.notNull())
        .addColumn("created_at", "integer", (c) => c.notNull())
        .addColumn("sent_at", "integer", (c) => c.notNull())
        .addColumn("expires_at", "integer", (c) => c.notNull())
        .addColumn("accepted_at", "integer")
        .addColumn("accepted_by", "text")
        .addColumn("revoked_at", "integer")
        .addColumn("revoked_by", "text")
        .execute();
      await db.schema.createIndex("invitations_tenant").on("invitations").columns(["tenant_id", "email"]).execute();
      await db.schema.createIndex("invitations_expiry").on("invitations").column("expires_at").execute();
    },
  },
  "0004_api_tokens": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("api_tokens")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("scopes", "text", (c) => c.notNull())
        .addColumn("created_at", "integer", (c) => c.notNull())
        .addColumn("expires_at", "integer", (c) => c.notNull())
        .addColumn("last_used_at", "integer")
        .addColumn("revoked_at", "integer")
        .execute();
      await db.schema.createIndex("api_tokens_owner").on("api_tokens").columns(["tenant_id", "user_id", "created_at"]).execute();
    },
  },
  /** Issue 6: terminations with a grace period, deleted accounts, organisation exports, job runs. */
  "0005_privacy_ops": {
    async up(db: Kysely<unknown>) {
      // A terminated organisation: closed_at/closed_by when an owner ends it, purge_after when its file
      // and key go; purged_at marks the tombstone that is all the control DB keeps afterwards.
      await db.schema.alterTable("tenants").addColumn("closed_at", "integer").execute();
      await db.schema.alterTable("tenants").addColumn("closed_by", "text").execute();
      await db.schema.alterTable("tenants").addColumn("purge_after", "integer").execute();
      await db.schema.alterTable("tenants").addColumn("purged_at", "integer").execute();
      await db.schema
        .createIndex("tenants_purge_after")
        .on("tenants")
        .column("purge_after")
        .where(sql.ref("purge_after"), "is not", null)
        .execute();
      // A deleted account keeps its row (ids in tenant files still point at it) under a pseudonym.
      await db.schema.alterTable("users").addColumn("deleted_at", "integer").execute();
      await db.schema.alterTable("users").addColumn("pseudonym", "text").execute();
      await db.schema
        .createTable("org_exports")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
        .addColumn("requested_by", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("done", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("total", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("file_name", "text")
        .addColumn("bytes", "integer")
        .addColumn("sha256", "text")
        .addColumn("error", "text")
        .addColumn("created_at", "integer", (c) => c.notNull())
        .addColumn("finished_at", "integer")
        .addColumn("expires_at", "integer")
        .execute();
      await db.schema.createIndex("org_exports_tenant").on("org_exports").columns(["tenant_id", "created_at"]).execute();
      await db.schema
        .createTable("job_runs")
        .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("job", "text", (c) => c.notNull())
        .addColumn("started_at", "integer", (c) => c.notNull())
        .addColumn("finished_at", "integer")
        .addColumn("ok", "integer")
        .addColumn("detail", "text", (c) => c.notNull().defaultTo("{}"))
        .execute();
      await db.schema.createIndex("job_runs_job").on("job_runs").columns(["job", "started_at"]).execute();
    },
  },
  /**
   * Issue 24: files an account deletion changed, waiting to be compacted (VACUUM, WAL truncated) by
   * a background job so no old page keeps the person; a row per file, so a restart loses none.
   */
  "0006_file_compactions": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("file_compactions")
        // "control", or a tenant id.
        .addColumn("target", "text", (c) => c.primaryKey())
        .addColumn("requested_at", "integer", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("last_error", "text")
        .execute();
    },
  },
};
