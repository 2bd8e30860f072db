import { sql, type Kysely, type Migration } from "kysely";
import { minorDigits } from "../../../app/lib/money";

/**
 * Issue 26: until this release the web forms read every rate as hundredths of the currency, so in an
 * organisation whose currency does not have two decimals the stored rates are off by a power of ten
 * (¥10,000/h typed → 1,000,000 stored; 10 KWD/h typed → 1,000 fils, i.e. KWD 1.000). Nothing proves
 * which rates were typed in a form and which came through the API in correct minor units, so this
 * migration rescales nothing: it lists each non-zero rate of such an organisation with the value it
 * was probably meant to be, and the owner keeps or fixes each one on the Rates page (audited).
 * A member rate whose last change came through an API token (actor kind "api", already in minor
 * units) is not listed.
 */
export const migration0016: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`create table rate_scale_reviews (
      id integer primary key autoincrement,
      target text not null check (target in ('member_rate', 'project')),
      member_id text,
      project_id text references projects(id) on delete cascade,
      currency text not null check (length(currency) = 3),
      stored_rate integer not null check (stored_rate > 0),
      suggested_rate integer not null check (suggested_rate >= 0),
      status text not null default 'pending' check (status in ('pending', 'kept', 'fixed')),
      resolved_by text,
      resolved_at integer,
      created_at integer not null,
      check ((target = 'project') = (member_id is null)),
      check ((status = 'pending') = (resolved_at is null))
    )`.execute(db);
    await sql`create unique index rate_scale_reviews_target on rate_scale_reviews
      (target, coalesce(member_id, ''), coalesce(project_id, ''))`.execute(db);

    const settings = await sql<{ currency: string }>`select currency from org_settings where id = 1`.execute(db);
    const currency = settings.rows[0]?.currency ?? "EUR";
    const digits = minorDigits(currency);
    if (digits === 2) return;
    // The value the person typed, in the currency's real minor units: stored ÷ 100 × 10^digits, half-up.
    const scale = (stored: number) => {
      const num = BigInt(stored) * 10n ** BigInt(digits);
      return Number((2n * num + 100n) / 200n);
    };
    const now = Date.now();
    const memberRates = await sql<{ member_id: string; project_id: string | null; hourly_rate: number }>`
      select r.member_id, r.project_id, r.hourly_rate from member_rates r
      where r.hourly_rate > 0
        and coalesce((
          select a.actor_kind from audit_log a
          where a.action = 'rate.set' and a.target_id = r.member_id
            and json_extract(a.detail, '$.project_id') is r.project_id
          order by a.id desc limit 1), 'user') != 'api'`.execute(db);
    for (const r of memberRates.rows) {
      await sql`insert into rate_scale_reviews (target, member_id, project_id, currency, stored_rate, suggested_rate, created_at)
        values ('member_rate', ${r.member_id}, ${r.project_id}, ${currency}, ${r.hourly_rate}, ${scale(r.hourly_rate)}, ${now})`.execute(
        db,
      );
    }
    const projects = await sql<{ id: string; hourly_rate: number }>`select id, hourly_rate from projects where hourly_rate > 0`.execute(db);
    for (const p of projects.rows) {
      await sql`insert into rate_scale_reviews (target, member_id, project_id, currency, stored_rate, suggested_rate, created_at)
        values ('project', null, ${p.id}, ${currency}, ${p.hourly_rate}, ${scale(p.hourly_rate)}, ${now})`.execute(db);
    }
  },
};
