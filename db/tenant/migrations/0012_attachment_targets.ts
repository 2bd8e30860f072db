import { sql, type Kysely, type Migration } from "kysely";

const TARGETS = [
  ["task", "tasks"],
  ["project", "projects"],
  ["invoice", "invoices"],
] as const;

/**
 * Issue 24: an attachment never outlives its target. `target_id` names a row of one of three tables,
 * so no foreign key can say it; these triggers do. An attachment cannot be inserted for a target that
 * does not exist (an upload that finished after its task was deleted), and a target cannot be deleted
 * while attachments still hang on it (the deleting procedure removes them first, and their blobs
 * after it commits).
 */
export const migration0012: Migration = {
  async up(db: Kysely<unknown>) {
    const exists = TARGETS.map(
      ([type, table]) => sql`(new.target_type = ${sql.lit(type)} and exists (select 1 from ${sql.table(table)} where id = new.target_id))`,
    );
    await sql`create trigger attachments_target_exists before insert on attachments
      when not (${sql.join(exists, sql` or `)})
      begin select raise(abort, 'attachment target does not exist'); end`.execute(db);
    for (const [type, table] of TARGETS) {
      await sql`create trigger ${sql.id(`${table}_keep_attachments`)} before delete on ${sql.table(table)}
        when exists (select 1 from attachments where target_type = ${sql.lit(type)} and target_id = old.id)
        begin select raise(abort, ${sql.lit(`${type} still has attachments`)}); end`.execute(db);
    }
  },
};
