import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId, newToken, sha256Hex } from "../auth/tokens";
import { runRetention } from "../jobs/retention";
import { runJob } from "../jobs/run-job";
import { checkCronPattern, defaultJobs, startScheduler } from "../jobs/scheduler";
import { userWithOrg } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";

/**
 * Retention with a controllable clock: rows are written at chosen distances from `instance.clock`
 * (a millisecond either side of each window), the job runs, and exactly the older side is gone.
 */

const DAY = 86_400_000;
let instance: Instance;
let a: Awaited<ReturnType<typeof userWithOrg>>;
let b: Awaited<ReturnType<typeof userWithOrg>>;
let ownerId: string;

const now = () => instance.clock.now();
const control = () => instance.services.control;

async function inTenant<T>(tenantId: string, fn: (db: Awaited<ReturnType<Instance["services"]["pool"]["acquire"]>>["db"]) => Promise<T>) {
  const lease = await instance.services.pool.acquire(tenantId);
  try {
    return await fn(lease.db);
  } finally {
    lease.release();
  }
}

/** An audit row at `at`, marked so the test can find it among the rows the API wrote. */
function auditAt(tenantId: string, at: number, mark: string) {
  return inTenant(tenantId, (db) =>
    db
      .insertInto("audit_log")
      .values({
        at,
        actor_kind: "system",
        actor_id: null,
        ip: null,
        user_agent: null,
        action: "test.mark",
        target_type: null,
        target_id: null,
        detail: JSON.stringify({ mark }),
      })
      .execute(),
  );
}

async function auditMarks(tenantId: string) {
  const rows = await inTenant(tenantId, (db) => db.selectFrom("audit_log").select("detail").where("action", "=", "test.mark").execute());
  return rows.map((r) => JSON.parse(r.detail).mark as string).sort();
}

const retention = () => runJob(instance.services, "retention", () => runRetention(instance.services));

beforeAll(async () => {
  instance = await startInstance();
  a = await userWithOrg(instance, "keep-short");
  b = await userWithOrg(instance, "keep-long");
  ownerId = (await control().selectFrom("users").select("id").where("email", "=", a.email).executeTakeFirstOrThrow()).id;
  expect((await a.client.mutate("settings.update", { org: a.slug, auditRetentionDays: 30 })).status).toBe(200);
  expect((await b.client.mutate("settings.update", { org: b.slug, auditRetentionDays: 400 })).status).toBe(200);
}, 60_000);
afterAll(() => instance.stop());

describe("retention", () => {
  it("purges the security log and job records past SECURITY_LOG_RETENTION_DAYS, and nothing younger", async () => {
    const cutoff = now() - instance.services.config.securityLogRetentionMs;
    const log = (at: number, mark: string) =>
      control()
        .insertInto("security_log")
        .values({ at, event: "test.mark", user_id: null, email: null, ip: null, user_agent: null, detail: JSON.stringify({ mark }) })
        .execute();
    await log(cutoff - 1, "old");
    await log(cutoff, "boundary");
    await log(cutoff + 1, "young");
    await control()
      .insertInto("job_runs")
      .values({ job: "test.mark", started_at: cutoff - 1, finished_at: cutoff, ok: 1, detail: "{}" })
      .execute();
    await control()
      .insertInto("job_runs")
      .values({ job: "test.mark", started_at: cutoff + 1, finished_at: cutoff + 2, ok: 1, detail: "{}" })
      .execute();

    const result = await retention();
    expect(result.ok).toBe(true);

    const marks = await control().selectFrom("security_log").select("detail").where("event", "=", "test.mark").execute();
    expect(marks.map((m) => JSON.parse(m.detail).mark).sort()).toEqual(["boundary", "young"]);
    const runs = await control().selectFrom("job_runs").select("started_at").where("job", "=", "test.mark").execute();
    expect(runs.map((r) => r.started_at)).toEqual([cutoff + 1]);
    // The platform's own recent rows (sign-ups, logins) are untouched.
    expect(await control().selectFrom("security_log").select("id").where("event", "=", "signup").execute()).toHaveLength(2);
  });

  it("keeps each organisation's audit log for its own number of days", async () => {
    for (const [org, days] of [
      [a, 30],
      [b, 400],
    ] as const) {
      const cutoff = now() - days * DAY;
      await auditAt(org.tenantId, cutoff - 1, `${days}:outside`);
      await auditAt(org.tenantId, cutoff + 1, `${days}:inside`);
      // Old for one organisation's setting, young for the other's.
      await auditAt(org.tenantId, now() - 100 * DAY, `${days}:100-days-old`);
    }
    const result = await retention();
    expect(result.ok).toBe(true);
    expect(await auditMarks(a.tenantId)).toEqual(["30:inside"]);
    expect(await auditMarks(b.tenantId)).toEqual(["400:100-days-old", "400:inside"]);
    // What the API wrote today (creating the organisation, changing the setting) is still there.
    const recent = await inTenant(a.tenantId, (db) =>
      db.selectFrom("audit_log").select("action").where("action", "=", "org.settings_update").execute(),
    );
    expect(recent).toHaveLength(1);
    if (result.ok) expect(result.detail.auditRows).toBe(3);
  });

  it("purges expired sessions and emailed tokens, and keeps live ones", async () => {
    const session = (id: string, expires: number) =>
      control()
        .insertInto("sessions")
        .values({
          id: sha256Hex(id),
          user_id: ownerId,
          expires_at: expires,
          created_at: now() - DAY,
          last_seen_at: now() - DAY,
          ip: null,
          user_agent: null,
        })
        .execute();
    await session("expired", now() - 1);
    await session("live", now() + 1);
    const token = (purpose: "verify_email" | "reset_password", expires: number) =>
      control()
        .insertInto("email_tokens")
        .values({ token_hash: sha256Hex(newToken()), user_id: ownerId, purpose, expires_at: expires, created_at: now() - DAY })
        .execute();
    await token("reset_password", now() - 1);
    await token("verify_email", now() + 1);

    await retention();
    const sessions = await control()
      .selectFrom("sessions")
      .select("id")
      .where("id", "in", [sha256Hex("expired"), sha256Hex("live")])
      .execute();
    expect(sessions.map((s) => s.id)).toEqual([sha256Hex("live")]);
    const tokens = await control().selectFrom("email_tokens").select("expires_at").where("user_id", "=", ownerId).execute();
    expect(tokens.every((t) => t.expires_at > now())).toBe(true);
    expect(tokens.length).toBeGreaterThanOrEqual(1);
  });

  it("keeps dead invitations and API tokens for the retention window, then purges them; accepted invitations stay", async () => {
    const cutoff = now() - instance.services.config.securityLogRetentionMs;
    const invite = (id: string, f: { expires: number; revoked?: number; accepted?: number }) =>
      control()
        .insertInto("invitations")
        .values({
          id,
          tenant_id: a.tenantId,
          email: `${id}@example.test`,
          role: "member",
          client_id: null,
          token_hash: sha256Hex(newToken()),
          invited_by: ownerId,
          created_at: cutoff - DAY,
          sent_at: cutoff - DAY,
          expires_at: f.expires,
          accepted_at: f.accepted ?? null,
          accepted_by: f.accepted ? ownerId : null,
          revoked_at: f.revoked ?? null,
          revoked_by: f.revoked ? ownerId : null,
        })
        .execute();
    await invite("v-expired-long-ago", { expires: cutoff - 1 });
    await invite("v-expired-lately", { expires: cutoff + 1 });
    await invite("v-revoked-long-ago", { expires: now() + DAY, revoked: cutoff - 1 });
    await invite("v-revoked-lately", { expires: now() + DAY, revoked: cutoff + 1 });
    await invite("v-accepted-long-ago", { expires: cutoff - DAY, accepted: cutoff - 2 * DAY });
    await invite("v-pending", { expires: now() + DAY });

    const apiToken = (id: string, f: { expires: number; revoked?: number }) =>
      control()
        .insertInto("api_tokens")
        .values({
          id,
          user_id: ownerId,
          tenant_id: a.tenantId,
          name: id,
          token_hash: sha256Hex(newToken()),
          scopes: "[]",
          created_at: cutoff - DAY,
          expires_at: f.expires,
          last_used_at: null,
          revoked_at: f.revoked ?? null,
        })
        .execute();
    await apiToken("k-expired-long-ago", { expires: cutoff - 1 });
    await apiToken("k-expired-lately", { expires: cutoff + 1 });
    await apiToken("k-revoked-long-ago", { expires: now() + DAY, revoked: cutoff - 1 });
    await apiToken("k-live", { expires: now() + DAY });

    const result = await retention();
    expect(result.ok).toBe(true);
    const invitations = await control().selectFrom("invitations").select("id").where("id", "like", "v-%").orderBy("id").execute();
    expect(invitations.map((i) => i.id)).toEqual(["v-accepted-long-ago", "v-expired-lately", "v-pending", "v-revoked-lately"]);
    const tokens = await control().selectFrom("api_tokens").select("id").where("id", "like", "k-%").orderBy("id").execute();
    expect(tokens.map((t) => t.id)).toEqual(["k-expired-lately", "k-live"]);
    if (result.ok) expect(result.detail).toMatchObject({ invitations: 2, apiTokens: 2 });
  });

  it("logs a grant's expiry before purging it with its support sessions, and keeps recent and live grants", async () => {
    const cutoff = now() - instance.services.config.securityLogRetentionMs;
    const grant = async (f: { expires: number; revoked?: number }) => {
      const id = newId("g");
      await control()
        .insertInto("support_grants")
        .values({
          id,
          tenant_id: b.tenantId,
          token_hash: sha256Hex(newToken()),
          scope: "read",
          reason: "test",
          created_by: ownerId,
          created_at: cutoff - DAY,
          expires_at: f.expires,
          revoked_at: f.revoked ?? null,
          revoked_by: f.revoked ? ownerId : null,
          redeemed_by: ownerId,
          redeemed_at: cutoff - DAY,
          expiry_logged: 0,
        })
        .execute();
      return id;
    };
    const expiredLongAgo = await grant({ expires: cutoff - 1 });
    const expiredLately = await grant({ expires: cutoff + 1 });
    const revokedLongAgo = await grant({ expires: now() + DAY, revoked: cutoff - 1 });
    const live = await grant({ expires: now() + DAY });
    // A session that is still "open" on a long-dead grant goes with the grant.
    await control()
      .insertInto("support_sessions")
      .values({
        id: sha256Hex(newToken()),
        grant_id: revokedLongAgo,
        staff_user_id: ownerId,
        created_at: cutoff - DAY,
        expires_at: now() + DAY,
      })
      .execute();

    const result = await retention();
    expect(result.ok).toBe(true);
    const left = await control().selectFrom("support_grants").select("id").where("tenant_id", "=", b.tenantId).execute();
    expect(left.map((g) => g.id).sort()).toEqual([expiredLately, live].sort());
    expect(await control().selectFrom("support_sessions").select("id").where("grant_id", "=", revokedLongAgo).execute()).toEqual([]);
    // Both expiries reached the security log, including the one whose grant is now gone.
    const logged = await control().selectFrom("security_log").select("detail").where("event", "=", "support.grant_expired").execute();
    const grants = logged.map((l) => JSON.parse(l.detail).grant);
    expect(grants).toEqual(expect.arrayContaining([expiredLongAgo, expiredLately]));
    expect(grants).not.toContain(live);
  });

  it("records each run in job_runs with its counts, and logs one line", async () => {
    instance.logs.length = 0;
    const result = await retention();
    expect(result.ok).toBe(true);
    const run = await control()
      .selectFrom("job_runs")
      .selectAll()
      .where("job", "=", "retention")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(run.ok).toBe(1);
    expect(run.started_at).toBe(now());
    expect(run.finished_at).toBe(now());
    expect(JSON.parse(run.detail)).toMatchObject({ securityLog: 0, auditRows: 0, organisations: 2 });
    expect(instance.logs.filter((l) => l.startsWith("[jobs] retention ok {"))).toHaveLength(1);
  });

  it("records a failing job as failed, with its error, without throwing", async () => {
    instance.logs.length = 0;
    const result = await runJob(instance.services, "always-fails", () => Promise.reject(new Error("the disk is on fire")));
    expect(result).toEqual({ ok: false, error: "the disk is on fire" });
    const run = await control().selectFrom("job_runs").selectAll().where("job", "=", "always-fails").executeTakeFirstOrThrow();
    expect(run.ok).toBe(0);
    expect(JSON.parse(run.detail)).toEqual({ error: "the disk is on fire" });
    expect(instance.logs).toContain("[jobs] always-fails failed: the disk is on fire");
  });

  it("still purges the other organisations when one file cannot be opened, and reports the run as failed", async () => {
    const brokenId = newId("t");
    await control()
      .insertInto("tenants")
      .values({
        id: brokenId,
        slug: "no-file-here",
        name: "No file",
        status: "active",
        plan: "free",
        features: "[]",
        file_name: `${brokenId}.sqlite`,
        wrapped_key: null,
        created_by: ownerId,
        created_at: now(),
      })
      .execute();
    try {
      await auditAt(a.tenantId, now() - 31 * DAY, "30:after-a-broken-one");
      const result = await retention();
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toContain(brokenId);
      expect(await auditMarks(a.tenantId)).toEqual(["30:inside"]);
    } finally {
      await control().deleteFrom("tenants").where("id", "=", brokenId).execute();
    }
  });
});

describe("scheduler", () => {
  it("refuses a bad cron expression at start, naming the setting", () => {
    expect(() => checkCronPattern("every day at noon", "BACKUP_CRON")).toThrow(/BACKUP_CRON: "every day at noon" is not a cron expression/);
    expect(() =>
      startScheduler(instance.services, [
        { name: "backup", pattern: "61 * * * *", setting: "BACKUP_CRON", run: () => Promise.resolve({}) },
      ]),
    ).toThrow(/BACKUP_CRON/);
    expect(() => checkCronPattern("30 2 * * *", "BACKUP_CRON")).not.toThrow();
  });

  it("runs the default jobs through runJob and never runs one twice at once", async () => {
    const scheduler = startScheduler(instance.services, defaultJobs(instance.services));
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const slow = startScheduler(instance.services, [{ name: "slow", pattern: "0 0 1 1 *", run: () => gate.then(() => ({ done: 1 })) }]);
      const first = slow.runNow("slow");
      expect(await slow.runNow("slow")).toEqual({ ok: false, error: "already running" });
      release();
      expect(await first).toEqual({ ok: true, detail: { done: 1 } });
      slow.stop();

      expect((await scheduler.runNow("retention")).ok).toBe(true);
      expect((await scheduler.runNow("digest")).ok).toBe(true);
      expect((await scheduler.runNow("expired")).ok).toBe(true);
      const jobs = await control().selectFrom("job_runs").select("job").where("job", "in", ["slow", "digest", "expired"]).execute();
      expect(jobs.map((j) => j.job).sort()).toEqual(["digest", "expired", "slow"]);
    } finally {
      scheduler.stop();
    }
  });
});
