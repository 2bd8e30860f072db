import { sql, type Kysely, type Migration } from "kysely";

/** Time entries and hourly rates. Durations are seconds, instants integer ms UTC, money minor units. */
export const migration0004: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("time_entries")
      .addColumn("id", "text", (c) => c.primaryKey())
      // No foreign key to members: entries outlive a member's removal (they were billed, reported).
      .addColumn("member_id", "text", (c) => c.notNull())
      .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("restrict"))
      .addColumn("task_id", "text")
      .addColumn("started_at", "integer", (c) => c.notNull())
      // Null while the timer runs.
      .addColumn("ended_at", "integer")
      .addColumn("duration_seconds", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("note", "text", (c) => c.notNull().defaultTo(""))
      .addColumn("billable", "integer", (c) => c.notNull().defaultTo(1))
      // The rate resolved when the entry was written, in minor units per hour.
      .addColumn("hourly_rate", "integer", (c) => c.notNull().defaultTo(0))
      // Set when an invoice takes the entry; the entry is locked from then on.
      .addColumn("invoice_id", "text")
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .execute();
    // One running timer per member, enforced by the file itself.
    await sql`create unique index time_entries_one_running on time_entries (member_id) where ended_at is null`.execute(db);
    await db.schema.createIndex("time_entries_member_start").on("time_entries").columns(["member_id", "started_at"]).execute();
    await db.schema.createIndex("time_entries_project_start").on("time_entries").columns(["project_id", "started_at"]).execute();
    await db.schema.createIndex("time_entries_task").on("time_entries").column("task_id").execute();
    await db.schema.createIndex("time_entries_invoice").on("time_entries").column("invoice_id").execute();

    // A member's default rate (project_id null) or their rate on one project.
    await db.schema
      .createTable("member_rates")
      .addColumn("member_id", "text", (c) => c.notNull())
      .addColumn("project_id", "text", (c) => c.references("projects.id").onDelete("cascade"))
      .addColumn("hourly_rate", "integer", (c) => c.notNull())
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .execute();
    await sql`create unique index member_rates_unique on member_rates (member_id, coalesce(project_id, ''))`.execute(db);
  },
};
