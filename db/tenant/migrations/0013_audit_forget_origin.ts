import { sql, type Kysely, type Migration } from "kysely";

/**
 * Issue 24: the audit log stays append-only, with one narrow exception written into the file
 * itself: a row's IP address and browser may be forgotten (set to NULL), and nothing else about it
 * may change. Account deletion needs exactly that (where a deleted person acted from is theirs, what
 * they did is the organisation's record), and with it no code path drops the trigger any more.
 */
export const migration0013: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`drop trigger if exists audit_log_no_update`.execute(db);
    await sql`create trigger audit_log_no_update before update on audit_log
      when new.id is not old.id or new.at is not old.at or new.actor_kind is not old.actor_kind
        or new.actor_id is not old.actor_id or new.action is not old.action or new.target_type is not old.target_type
        or new.target_id is not old.target_id or new.detail is not old.detail
        or (new.ip is not null and new.ip is not old.ip)
        or (new.user_agent is not null and new.user_agent is not old.user_agent)
      begin select raise(abort, 'audit_log is append-only'); end`.execute(db);
  },
};
