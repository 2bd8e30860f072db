import { sweepTenantFiles } from "../files/sweep";
import type { Services } from "../services";
import { sweepExpiredGrants } from "../support/grants";
import { purgeDeadCredentials, purgeExpired } from "./purge-expired";

const DAY_MS = 86_400_000;

export type RetentionCounts = Awaited<ReturnType<typeof runRetention>>;

/**
 * Deletes what has outlived its retention window, every window measured from services.clock:
 *
 * - platform security log and job-run records older than SECURITY_LOG_RETENTION_DAYS;
 * - each organisation's audit log older than its own org_settings.audit_retention_days (active and
 *   closed organisations: a closed one keeps its file, and its retention, until it is purged);
 * - expired sessions and emailed tokens, at once;
 * - invitations, API tokens and support grants that stopped working more than the security-log
 *   window ago (see purgeDeadCredentials), after grant expiries have been logged;
 * - each organisation's orphan attachment rows and stored files (server/files/sweep.ts).
 *
 * Organisations are done one at a time, each lease released before the next. One organisation
 * failing does not stop the others; the run then throws, naming them, after everything else is done,
 * so the job is recorded as failed.
 */
export async function runRetention(services: Services) {
  const now = services.clock.now();
  const cutoff = now - services.config.securityLogRetentionMs;
  const securityLog = await services.control.deleteFrom("security_log").where("at", "<", cutoff).executeTakeFirst();
  const jobRuns = await services.control.deleteFrom("job_runs").where("started_at", "<", cutoff).executeTakeFirst();
  const expired = await purgeExpired(services.control, now);
  const grantExpiriesLogged = await sweepExpiredGrants(services);
  const credentials = await purgeDeadCredentials(services.control, cutoff);

  const tenants = await services.control
    .selectFrom("tenants")
    .select("id")
    .where("status", "in", ["active", "closed"])
    .orderBy("id")
    .execute();
  let auditRows = 0;
  const files = { orphanFileRows: 0, orphanFileBytes: 0, orphanBlobs: 0, orphanBlobBytes: 0 };
  const failures: string[] = [];
  for (const { id } of tenants) {
    // Being restored: its file is about to be replaced; the next run deals with it.
    if (services.pool.isOutOfService(id)) continue;
    try {
      auditRows += await purgeTenantAudit(services, id, now);
      const swept = await sweepTenantFiles(services, id, { dryRun: false });
      files.orphanFileRows += swept.rows;
      files.orphanFileBytes += swept.rowBytes;
      files.orphanBlobs += swept.blobs;
      files.orphanBlobBytes += swept.blobBytes;
    } catch (error) {
      failures.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const counts = {
    securityLog: Number(securityLog.numDeletedRows),
    jobRuns: Number(jobRuns.numDeletedRows),
    sessions: expired.sessions,
    emailTokens: expired.tokens,
    grantExpiriesLogged,
    ...credentials,
    organisations: tenants.length,
    auditRows,
    ...files,
  };
  if (failures.length)
    throw new Error(
      `retention failed for ${failures.length} organisation(s) (${failures.join("; ")}); done otherwise: ${JSON.stringify(counts)}`,
    );
  return counts;
}

/**
 * The audit log is append-only against edits (a trigger refuses UPDATE) but not against its own
 * retention: this is the one place that deletes from it, by age only, through the tenant's handle.
 */
async function purgeTenantAudit(services: Pick<Services, "pool">, tenantId: string, now: number) {
  const lease = await services.pool.acquire(tenantId);
  try {
    const settings = await lease.db.selectFrom("org_settings").select("audit_retention_days").where("id", "=", 1).executeTakeFirst();
    const days = settings?.audit_retention_days ?? 365;
    const result = await lease.db
      .deleteFrom("audit_log")
      .where("at", "<", now - days * DAY_MS)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  } finally {
    lease.release();
  }
}
