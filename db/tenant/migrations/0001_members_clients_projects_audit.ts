import { sql, type Kysely, type Migration } from "kysely";

/** Released: never edit. Later changes are new migrations. */
export const migration0001: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("members")
      .addColumn("user_id", "text", (c) => c.primaryKey())
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("email", "text", (c) => c.notNull())
      .addColumn("joined_at", "integer", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("clients")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("contact_email", "text")
      .addColumn("notes", "text", (c) => c.notNull().defaultTo(""))
      .addColumn("archived_at", "integer")
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("clients_name_unique")
      .on("clients")
      .expression(sql`lower(name)`)
      .unique()
      .execute();
    await db.schema
      .createTable("projects")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("client_id", "text", (c) => c.notNull().references("clients.id").onDelete("restrict"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("code", "text")
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("hourly_rate", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("budget_seconds", "integer")
      .addColumn("archived_at", "integer")
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("projects_client").on("projects").column("client_id").execute();
    await db.schema
      .createIndex("projects_code_unique")
      .on("projects")
      .expression(sql`upper(code)`)
      .unique()
      .where(sql.ref("code"), "is not", null)
      .execute();
    await db.schema
      .createTable("audit_log")
      .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
      .addColumn("at", "integer", (c) => c.notNull())
      .addColumn("actor_kind", "text", (c) => c.notNull())
      .addColumn("actor_id", "text")
      .addColumn("ip", "text")
      .addColumn("user_agent", "text")
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("target_type", "text")
      .addColumn("target_id", "text")
      .addColumn("detail", "text", (c) => c.notNull().defaultTo("{}"))
      .execute();
    await db.schema.createIndex("audit_log_at").on("audit_log").column("at").execute();
    await db.schema.createIndex("audit_log_target").on("audit_log").columns(["target_type", "target_id"]).execute();
    // Append-only by construction: no code path may rewrite history, so the file refuses it too.
    await sql`create trigger audit_log_no_update before update on audit_log
      begin select raise(abort, 'audit_log is append-only'); end`.execute(db);
  },
};
