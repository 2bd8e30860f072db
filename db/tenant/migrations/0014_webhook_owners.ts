import { sql, type Kysely, type Migration } from "kysely";

/** Why a webhook the migration could not give an owner is paused; shown on the webhook screen. */
export const UNOWNED_REASON = "No owner is known for this webhook: an admin must take ownership before it sends again.";

/**
 * Issue 25: a webhook acts as its owner, a member whose current sight filters every delivery.
 * Existing webhooks get as owner whoever created them according to the audit log, if that person is
 * still a member; otherwise nobody, and they are paused with a reason, because guessing (say, the
 * first owner) would hand a receiver someone else's sight without anyone deciding it. Deliveries
 * gain the status `skipped` (an event the owner may not see), which needs the table rebuilt: SQLite
 * cannot change a check constraint in place.
 */
export const migration0014: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table webhooks add column owner_id text`.execute(db);
    await sql`alter table webhooks add column paused_reason text`.execute(db);
    await sql`update webhooks set owner_id = (
      select a.actor_id from audit_log a
      where a.action = 'webhook.create' and a.target_type = 'webhook' and a.target_id = webhooks.id
        and a.actor_kind in ('user', 'api')
        and exists (select 1 from members m where m.user_id = a.actor_id)
      order by a.id limit 1)`.execute(db);
    await sql`update webhooks set active = 0, paused_reason = ${UNOWNED_REASON} where owner_id is null`.execute(db);

    await sql`create table webhook_deliveries_new (
      id text primary key,
      webhook_id text not null references webhooks(id) on delete cascade,
      event text not null,
      payload text not null,
      status text not null check (status in ('pending', 'delivered', 'failed', 'skipped')),
      attempts integer not null default 0 check (attempts >= 0),
      next_attempt_at integer,
      last_status_code integer,
      last_duration_ms integer,
      last_error text,
      created_at integer not null,
      delivered_at integer
    )`.execute(db);
    await sql`insert into webhook_deliveries_new select * from webhook_deliveries`.execute(db);
    await sql`drop table webhook_deliveries`.execute(db);
    await sql`alter table webhook_deliveries_new rename to webhook_deliveries`.execute(db);
    await sql`create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending'`.execute(db);
    await sql`create index webhook_deliveries_log on webhook_deliveries (webhook_id, created_at desc)`.execute(db);
  },
};
