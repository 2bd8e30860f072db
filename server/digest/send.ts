import { TZDate } from "@date-fns/tz";
import type { Kysely } from "kysely";
import { runInTenant } from "../../db/tenant/context";
import { addDays, localDate, rangeBounds } from "../../db/tenant/reports/periods";
import type { TenantDB } from "../../db/tenant/schema";
import { digestMessage } from "../email/templates";
import type { Services } from "../services";
import { activityIn, isQuiet } from "./activity";
import { memberView } from "./member-access";
import { unsubscribeToken } from "./unsubscribe-token";

export interface DigestCounts {
  organisations: number;
  sent: number;
  /** Opted-in members with nothing to report: marked as done for the day, no mail. */
  quiet: number;
  failed: number;
}

/** Where links in mail point: APP_URL, else this server on localhost (no request to take a host from). */
export function mailOrigin(services: Pick<Services, "config">) {
  return services.config.appUrl ?? `http://localhost:${services.config.port}`;
}

/**
 * Sends each opted-in member of each active organisation the digest of the previous local day, once
 * the organisation's digest hour has come in its time zone. `digest_sent_on` (the local date) is set
 * only after the mail server accepted the message, so a failed send is retried on the next run and a
 * second run the same day (or a restart) sends nothing twice. Members with nothing to see are marked
 * too, without a message. What each member sees is computed with their own access, as if they had
 * asked: the digest cannot show a project, or a section, the app would not.
 *
 * Runs from the hourly scheduler. One failing organisation or message does not stop the others; the
 * run then throws with the counts, so the job is recorded as failed.
 */
export async function sendDueDigests(services: Services): Promise<DigestCounts & Record<string, unknown>> {
  const now = services.clock.now();
  const tenants = await services.control
    .selectFrom("tenants")
    .select(["id", "slug", "name"])
    .where("status", "=", "active")
    .orderBy("id")
    .execute();
  const counts: DigestCounts = { organisations: 0, sent: 0, quiet: 0, failed: 0 };
  const failures: string[] = [];
  for (const tenant of tenants) {
    // Being restored: its digests go out at the next run, from the restored file.
    if (services.pool.isOutOfService(tenant.id)) continue;
    try {
      const lease = await services.pool.acquire(tenant.id);
      try {
        const done = await digestsOf(services, tenant, lease.db, now, failures);
        if (done) {
          counts.organisations++;
          counts.sent += done.sent;
          counts.quiet += done.quiet;
          counts.failed += done.failed;
        }
      } finally {
        lease.release();
      }
    } catch (error) {
      failures.push(`${tenant.slug}: ${messageOf(error)}`);
    }
  }
  if (failures.length) throw new Error(`digest failures (${failures.join("; ")}); counts: ${JSON.stringify(counts)}`);
  return { ...counts };
}

async function digestsOf(
  services: Services,
  tenant: { id: string; slug: string; name: string },
  db: Kysely<TenantDB>,
  now: number,
  failures: string[],
) {
  const settings = await db.selectFrom("org_settings").select(["time_zone", "digest_hour"]).where("id", "=", 1).executeTakeFirstOrThrow();
  const zone = settings.time_zone;
  if (new TZDate(now, zone).getHours() < settings.digest_hour) return null;
  const today = localDate(now, zone);
  const due = await db
    .selectFrom("members")
    .select("user_id")
    .where("digest_opt_in", "=", 1)
    // "<", not "!=": when the organisation's zone moves west its local date goes back a day, and the
    // member who already had today's digest must not get the same day again. ISO dates sort as text.
    .where((eb) => eb.or([eb("digest_sent_on", "is", null), eb("digest_sent_on", "<", today)]))
    .orderBy("user_id")
    .execute();
  const done = { sent: 0, quiet: 0, failed: 0 };
  if (due.length === 0) return done;

  const yesterday = addDays(today, -1);
  const window = { ...rangeBounds({ from: yesterday, to: yesterday }, zone), from: yesterday, to: yesterday, zone };
  // The account's current address, and only for accounts that can still log in.
  const accounts = new Map(
    (
      await services.control
        .selectFrom("users")
        .innerJoin("memberships", "memberships.user_id", "users.id")
        .select(["users.id", "users.email"])
        .where("memberships.tenant_id", "=", tenant.id)
        .where(
          "users.id",
          "in",
          due.map((m) => m.user_id),
        )
        .where("users.deleted_at", "is", null)
        .where("users.email_verified_at", "is not", null)
        .execute()
    ).map((u) => [u.id, u.email]),
  );
  const markSent = (userId: string) => db.updateTable("members").set({ digest_sent_on: today }).where("user_id", "=", userId).execute();

  for (const { user_id: userId } of due) {
    try {
      const email = accounts.get(userId);
      const member = email ? await memberView(db, userId) : null;
      if (!email || !member) {
        await markSent(userId);
        done.quiet++;
        continue;
      }
      const activity = await runInTenant({ tenantId: tenant.id, db, access: member.access }, () =>
        activityIn(member, window, services.clock),
      );
      if (isQuiet(activity)) {
        await markSent(userId);
        done.quiet++;
        continue;
      }
      const origin = mailOrigin(services);
      const message = digestMessage(email, {
        orgName: tenant.name,
        memberName: member.name,
        date: yesterday,
        timeZone: zone,
        ...activity,
        orgLink: `${origin}/o/${tenant.slug}`,
        unsubscribeLink: `${origin}/digest/unsubscribe?token=${unsubscribeToken(services.keys, tenant.id, userId)}`,
      });
      await services.mailer.send(message);
      await markSent(userId);
      done.sent++;
    } catch (error) {
      done.failed++;
      failures.push(`${tenant.slug}/${userId}: ${messageOf(error)}`);
    }
  }
  return done;
}

function messageOf(error: unknown) {
  return error instanceof Error ? error.message : String(error);
}
