import { sql, type Kysely, type Migration } from "kysely";

/**
 * Issue 24: an account deletion forgets where the person acted from (audit_log.ip, user_agent) by
 * their user id, inside the request, and a restore re-applies deletions by the ids of the actors
 * whose rows still hold an origin. Without an index both read the whole audit log of every
 * organisation the person belonged to, holding the event loop (measured ~340 ms per 500,000 rows).
 * Partial: only rows that still have something to forget are indexed.
 */
export const migration0015: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`create index audit_log_actor_origin on audit_log (actor_id)
      where ip is not null or user_agent is not null`.execute(db);
  },
};
