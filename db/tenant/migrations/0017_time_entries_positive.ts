import { sql, type Kysely, type Migration } from "kysely";

/** What time_entries.problem says of a finished entry that does not end after it starts. */
export const ENDS_BEFORE_START = "ends_before_start";

/** The rule the triggers enforce and the migration flags by: a finished entry lasts at least a second. */
export const NOT_POSITIVE = "ended_at is not null and (ended_at <= started_at or duration_seconds <= 0)";

/**
 * Issue 26: a manual entry in a DST gap was stored at −1,800 s, and nothing below the API stopped it.
 * From here the file itself refuses a finished entry that does not end after it starts or lasts no
 * whole second. SQLite cannot add a CHECK to an existing table without rebuilding it (and every
 * index and the invoices' references with it), so BEFORE INSERT/UPDATE triggers hold the rule.
 *
 * Rows already wrong are not rewritten (no one knows what the person meant) but flagged in the new
 * column `problem`, which the time page lists for the organisation to fix; the triggers let a
 * flagged row keep its wrong times (so its note can still change and an export of it re-imports),
 * and refuse to make any row wrong or to clear a flag while the times are still wrong.
 */
export const migration0017: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table time_entries add column problem text`.execute(db);
    await sql.raw(`update time_entries set problem = '${ENDS_BEFORE_START}' where ${NOT_POSITIVE}`).execute(db);
    await sql`create index time_entries_problem on time_entries (problem) where problem is not null`.execute(db);
    await sql
      .raw(
        `create trigger time_entries_positive_insert before insert on time_entries
      when new.problem is null and new.ended_at is not null and (new.ended_at <= new.started_at or new.duration_seconds <= 0)
      begin select raise(abort, 'time entry must end at least a second after it starts'); end`,
      )
      .execute(db);
    await sql
      .raw(
        `create trigger time_entries_positive_update before update on time_entries
      when new.ended_at is not null and (new.ended_at <= new.started_at or new.duration_seconds <= 0)
        and not (old.problem is not null and new.problem is not null and new.started_at = old.started_at
          and new.ended_at is old.ended_at and new.duration_seconds = old.duration_seconds)
      begin select raise(abort, 'time entry must end at least a second after it starts'); end`,
      )
      .execute(db);
  },
};
