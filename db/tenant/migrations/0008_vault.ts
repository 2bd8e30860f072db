import { sql, type Kysely, type Migration } from "kysely";

/**
 * The credentials vault (issue 7, item 3): connected services and servers, each holding one secret
 * sealed with the organisation's data key (server/crypto/envelope.ts, AAD = org, table, row,
 * "secret"), and each server's operation log. Only the last characters of a secret (`secret_hint`)
 * are kept in clear, for the mask the UI shows.
 */
export const migration0008: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("connected_services")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('github', 'gitlab', 'stripe', 'aws', 'google', 'slack', 'other')`))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("base_url", "text")
      .addColumn("credential_type", "text", (c) => c.notNull().check(sql`credential_type in ('api_key', 'oauth', 'basic', 'ssh_key')`))
      // An envelope (magic "OE"), never plaintext.
      .addColumn("secret", "blob", (c) => c.notNull())
      .addColumn("secret_hint", "text", (c) => c.notNull().defaultTo(""))
      .addColumn("oauth_expires_at", "integer")
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("connected_services_name").on("connected_services").column("name").execute();

    await db.schema
      .createTable("servers")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("host", "text", (c) => c.notNull())
      .addColumn("environment", "text", (c) => c.notNull().check(sql`environment in ('production', 'staging', 'development', 'other')`))
      .addColumn("credential_type", "text", (c) => c.notNull().check(sql`credential_type in ('basic', 'ssh_key', 'api_key')`))
      .addColumn("secret", "blob", (c) => c.notNull())
      .addColumn("secret_hint", "text", (c) => c.notNull().defaultTo(""))
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("servers_name").on("servers").column("name").execute();

    await db.schema
      .createTable("server_logs")
      .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
      .addColumn("server_id", "text", (c) => c.notNull().references("servers.id").onDelete("cascade"))
      .addColumn("at", "integer", (c) => c.notNull())
      // No foreign key to members: the log outlives a member's removal.
      .addColumn("actor_id", "text")
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("outcome", "text", (c) => c.notNull().check(sql`outcome in ('success', 'failure', 'running')`))
      .addColumn("log", "text", (c) => c.notNull().defaultTo(""))
      .execute();
    await db.schema.createIndex("server_logs_server_at").on("server_logs").columns(["server_id", "id"]).execute();
  },
};
