import { sql, type Kysely, type Migration } from "kysely";

/**
 * Invoices, their lines, payments and the per-year numbering counter. Money is integer minor units
 * of the invoice's currency; calendar dates (issue, due, payment, period) are YYYY-MM-DD in the
 * organisation's time zone; instants are integer ms UTC.
 *
 * The rules that must hold whatever code runs are also the file's: an issued invoice's money, lines
 * and number cannot change, statuses only move forward, payments are never rewritten, and time
 * taken by an invoice is locked until the invoice releases it.
 */
export const migration0005: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`create table invoices (
      id text primary key,
      client_id text not null references clients(id) on delete restrict,
      number text,
      status text not null check (status in ('draft', 'issued', 'paid', 'void')),
      currency text not null check (length(currency) = 3),
      tax_rate_bp integer not null check (tax_rate_bp between 0 and 10000),
      subtotal integer not null default 0 check (subtotal >= 0),
      tax integer not null default 0 check (tax >= 0),
      total integer not null default 0,
      period_from text,
      period_to text,
      issue_date text,
      due_date text,
      notes text not null default '',
      issued_at integer,
      paid_at integer,
      voided_at integer,
      void_reason text,
      created_by text,
      created_at integer not null,
      updated_at integer not null,
      check (total = subtotal + tax),
      -- A draft has no number; everything else has one, for good.
      check ((status = 'draft') = (number is null)),
      check (status <> 'void' or void_reason is not null)
    )`.execute(db);
    await sql`create unique index invoices_number_unique on invoices (number) where number is not null`.execute(db);
    await db.schema.createIndex("invoices_client").on("invoices").columns(["client_id", "created_at"]).execute();
    await db.schema.createIndex("invoices_status").on("invoices").columns(["status", "created_at"]).execute();

    await sql`create table invoice_lines (
      id text primary key,
      invoice_id text not null references invoices(id) on delete cascade,
      position integer not null,
      -- time: quantity is seconds and unit_price per hour; manual: quantity is thousandths of a unit.
      kind text not null check (kind in ('time', 'manual')),
      description text not null,
      project_id text references projects(id) on delete restrict,
      quantity integer not null check (quantity > 0),
      unit_price integer not null check (unit_price >= 0),
      amount integer not null check (amount >= 0),
      check ((kind = 'time') = (project_id is not null))
    )`.execute(db);
    await db.schema.createIndex("invoice_lines_invoice").on("invoice_lines").columns(["invoice_id", "position"]).execute();

    // One row per calendar year, incremented in the transaction that issues: a rollback gives the
    // number back, so numbers have no gaps; BEGIN IMMEDIATE serialises issuers, so no duplicates.
    await sql`create table invoice_counters (
      year integer primary key,
      last_number integer not null check (last_number > 0)
    )`.execute(db);

    await sql`create table payments (
      id text primary key,
      invoice_id text not null references invoices(id) on delete restrict,
      paid_on text not null,
      amount integer not null check (amount > 0),
      method text not null check (method in ('bank_transfer', 'card', 'cash', 'cheque', 'other')),
      reference text not null default '',
      note text not null default '',
      created_by text,
      created_at integer not null
    )`.execute(db);
    await db.schema.createIndex("payments_invoice").on("payments").columns(["invoice_id", "paid_on"]).execute();

    // Issued is final: money, client, number and dates are frozen; only the status may move on
    // (issued ⇄ paid as payments come and go, issued → void), never back to draft, never out of void.
    await sql`create trigger invoices_issued_immutable before update on invoices
      when old.status <> 'draft' and (
        new.client_id is not old.client_id or new.number is not old.number or new.currency is not old.currency
        or new.tax_rate_bp is not old.tax_rate_bp or new.subtotal is not old.subtotal or new.tax is not old.tax
        or new.total is not old.total or new.period_from is not old.period_from or new.period_to is not old.period_to
        or new.issue_date is not old.issue_date or new.due_date is not old.due_date or new.notes is not old.notes
        or new.issued_at is not old.issued_at or new.created_at is not old.created_at or new.created_by is not old.created_by
        or new.status = 'draft' or (old.status = 'void' and new.status <> 'void'))
      begin select raise(abort, 'invoice is issued and cannot be changed'); end`.execute(db);
    await sql`create trigger invoices_issued_undeletable before delete on invoices
      when old.status <> 'draft'
      begin select raise(abort, 'invoice is issued and cannot be deleted'); end`.execute(db);
    for (const [event, row] of [
      ["insert", "new"],
      ["update", "old"],
      ["delete", "old"],
    ] as const) {
      await sql
        .raw(
          `create trigger invoice_lines_frozen_on_${event} before ${event} on invoice_lines
          when (select status from invoices where id = ${row}.invoice_id) <> 'draft'
          ${event === "update" ? "or (select status from invoices where id = new.invoice_id) <> 'draft'" : ""}
          begin select raise(abort, 'invoice is issued and its lines cannot be changed'); end`,
        )
        .execute(db);
    }

    // Payments are records of money received: never rewritten, only taken to an issued invoice,
    // and never removed from a void one.
    await sql`create trigger payments_no_update before update on payments
      begin select raise(abort, 'payments cannot be changed; delete and record again'); end`.execute(db);
    await sql`create trigger payments_only_on_issued before insert on payments
      when (select status from invoices where id = new.invoice_id) is not 'issued'
      begin select raise(abort, 'payments can only be recorded against an issued invoice'); end`.execute(db);
    await sql`create trigger payments_kept_on_void before delete on payments
      when (select status from invoices where id = old.invoice_id) = 'void'
      begin select raise(abort, 'payments of a void invoice cannot be deleted'); end`.execute(db);

    // Invoiced time is locked: while invoice_id is set, only invoice_id itself (released by deleting
    // a draft or voiding) and updated_at may change, and the entry cannot be deleted.
    await sql`create trigger time_entries_locked_when_invoiced before update on time_entries
      when old.invoice_id is not null and (
        new.member_id is not old.member_id or new.project_id is not old.project_id or new.task_id is not old.task_id
        or new.started_at is not old.started_at or new.ended_at is not old.ended_at
        or new.duration_seconds is not old.duration_seconds or new.note is not old.note
        or new.billable is not old.billable or new.hourly_rate is not old.hourly_rate
        or (new.invoice_id is not null and new.invoice_id is not old.invoice_id))
      begin select raise(abort, 'time entry is invoiced and locked'); end`.execute(db);
    await sql`create trigger time_entries_invoiced_undeletable before delete on time_entries
      when old.invoice_id is not null
      begin select raise(abort, 'time entry is invoiced and locked'); end`.execute(db);
  },
};
