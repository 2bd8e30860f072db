import type { Kysely, Migration } from "kysely";

/** Issue 6: per-organisation audit retention and the opt-in daily digest. */
export const migration0011: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable("org_settings")
      .addColumn("audit_retention_days", "integer", (c) => c.notNull().defaultTo(365))
      .execute();
    // Local hour (0–23, organisation time zone) at which digests go out.
    await db.schema
      .alterTable("org_settings")
      .addColumn("digest_hour", "integer", (c) => c.notNull().defaultTo(8))
      .execute();
    await db.schema
      .alterTable("members")
      .addColumn("digest_opt_in", "integer", (c) => c.notNull().defaultTo(0))
      .execute();
    // Local date (YYYY-MM-DD) of the last digest sent, so a restart or a second run the same day sends nothing twice.
    await db.schema.alterTable("members").addColumn("digest_sent_on", "text").execute();
  },
};
