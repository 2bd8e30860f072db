import { sql, type Kysely, type Migration } from "kysely";

/** Custom roles, per-project sharing, client contacts and the organisation's settings row. */
export const migration0002: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("roles")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("description", "text", (c) => c.notNull().defaultTo(""))
      // A JSON array of catalogue names; unknown names are ignored when read, never granted.
      .addColumn("permissions", "text", (c) => c.notNull())
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("roles_name_unique")
      .on("roles")
      .expression(sql`lower(name)`)
      .unique()
      .execute();

    // A client contact is a member tied to one client: whatever their role, they see only that
    // client's shared projects. RESTRICT, because losing the tie would widen what they see.
    await sql`alter table members add column client_id text references clients(id) on delete restrict`.execute(db);

    await sql`alter table projects add column shared_space integer not null default 0`.execute(db);
    await db.schema
      .createTable("project_shares")
      .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("cascade"))
      .addColumn("subject_kind", "text", (c) => c.notNull().check(sql`subject_kind in ('member', 'role', 'client')`))
      .addColumn("subject_id", "text", (c) => c.notNull())
      .addColumn("created_by", "text")
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("project_shares_pk", ["project_id", "subject_kind", "subject_id"])
      .execute();
    await db.schema.createIndex("project_shares_subject").on("project_shares").columns(["subject_kind", "subject_id"]).execute();

    await db.schema
      .createTable("org_settings")
      .addColumn("id", "integer", (c) => c.primaryKey().check(sql`id = 1`))
      .addColumn("time_zone", "text", (c) => c.notNull().defaultTo("UTC"))
      .addColumn("currency", "text", (c) => c.notNull().defaultTo("EUR"))
      .addColumn("week_start", "integer", (c) => c.notNull().defaultTo(1))
      .addColumn("updated_at", "integer", (c) => c.notNull().defaultTo(0))
      .execute();
    await sql`insert into org_settings (id) values (1)`.execute(db);
  },
};
