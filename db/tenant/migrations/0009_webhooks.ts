import { sql, type Kysely, type Migration } from "kysely";

/**
 * Outgoing webhooks and their delivery log. A webhook's secret is an envelope sealed with the
 * organisation's data key (AAD: webhooks/<id>/secret), never stored in the clear. A delivery row is
 * written in the same transaction as the change it reports, so it exists exactly when that change
 * committed; the dispatcher (server/webhooks/dispatcher.ts) moves it to delivered or failed.
 */
export const migration0009: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`create table webhooks (
      id text primary key,
      url text not null,
      events text not null,
      secret blob not null,
      active integer not null default 1 check (active in (0, 1)),
      created_at integer not null,
      updated_at integer not null
    )`.execute(db);
    await sql`create table webhook_deliveries (
      id text primary key,
      webhook_id text not null references webhooks(id) on delete cascade,
      event text not null,
      payload text not null,
      status text not null check (status in ('pending', 'delivered', 'failed')),
      attempts integer not null default 0 check (attempts >= 0),
      next_attempt_at integer,
      last_status_code integer,
      last_duration_ms integer,
      last_error text,
      created_at integer not null,
      delivered_at integer
    )`.execute(db);
    // The dispatcher's question: the next pending delivery due.
    await sql`create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending'`.execute(db);
    // The log of one webhook, newest first.
    await sql`create index webhook_deliveries_log on webhook_deliveries (webhook_id, created_at desc)`.execute(db);
  },
};
