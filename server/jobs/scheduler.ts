import { Cron } from "croner";
import { ConfigError } from "../config";
import { scheduledBackup } from "../backup/scheduled-backup";
import { sendDueDigests } from "../digest/send";
import { expireExports } from "../export/jobs";
import { compactQueued } from "../privacy/compaction";
import { purgeClosedOrganisations } from "../tenants/terminate";
import type { Services } from "../services";
import { sweepExpiredGrants } from "../support/grants";
import { purgeExpired } from "./purge-expired";
import { runRetention } from "./retention";
import { runJob, type JobResult } from "./run-job";

export interface ScheduledJob {
  name: string;
  /** A 5-field cron expression (minute hour day month weekday), in the server's time zone. */
  pattern: string;
  run: () => Promise<Record<string, unknown>>;
  /** The setting the pattern came from (e.g. "BACKUP_CRON"), named when it is not a valid expression. */
  setting?: string;
}

export interface Scheduler {
  stop(): void;
  /** Runs a job now, outside its schedule, with the same record and overlap guard (CLI, tests). */
  runNow(name: string): Promise<JobResult>;
}

/** Throws a ConfigError naming `variable` when `pattern` is not a cron expression croner accepts. */
export function checkCronPattern(pattern: string, variable: string) {
  try {
    new Cron(pattern, { paused: true, mode: "5-or-6-parts" }).stop();
  } catch (error) {
    throw new ConfigError(
      `Invalid configuration:\n  ${variable}: "${pattern}" is not a cron expression (${error instanceof Error ? error.message : String(error)}); e.g. "30 2 * * *" for 02:30 every day`,
    );
  }
}

/**
 * The jobs the server runs (the CLI's `purge` runs the same work on demand). Digests run hourly
 * because each organisation has its own hour in its own time zone; each run sends to those whose
 * hour has come (see sendDueDigests). Backups run only when BACKUP_CRON is set.
 */
export function defaultJobs(services: Services, extra: ScheduledJob[] = []): ScheduledJob[] {
  return [
    { name: "retention", pattern: "15 3 * * *", run: () => runRetention(services) },
    // Hourly, not daily: a support grant's expiry should reach the security log (and its sessions
    // end) within the hour, and dead sessions should not pile up for a day.
    {
      name: "expired",
      pattern: "5 * * * *",
      run: async () => ({
        ...(await purgeExpired(services.control, services.clock.now())),
        grantExpiriesLogged: await sweepExpiredGrants(services),
      }),
    },
    { name: "digest", pattern: "0 * * * *", run: () => sendDueDigests(services) },
    { name: "exports", pattern: "25 * * * *", run: async () => ({ expired: await expireExports(services) }) },
    // Files account deletions wrote, rebuilt off the request path; each deletion also starts a run at
    // once, so this only picks up what a restart or a busy file left queued.
    { name: "erasure-compaction", pattern: "*/10 * * * *", run: async () => ({ ...(await compactQueued(services)) }) },
    { name: "terminated-orgs", pattern: "30 * * * *", run: async () => ({ ...(await purgeClosedOrganisations(services)) }) },
    ...(services.config.backupCron
      ? [
          {
            name: "backup",
            pattern: services.config.backupCron,
            setting: "BACKUP_CRON",
            run: async () => ({ ...(await scheduledBackup(services)) }),
          },
        ]
      : []),
    ...extra,
  ];
}

/**
 * Starts each job on its cron pattern inside this process. A run that is still going when its next
 * time comes is skipped (and logged), never run twice at once; every run goes through runJob, so it
 * is recorded in job_runs and cannot take the process down. Timers are unref'd: they never keep a
 * stopping process alive. Patterns are checked before anything starts, so a bad one stops start-up.
 */
export function startScheduler(services: Pick<Services, "control" | "clock" | "log">, jobs: ScheduledJob[]): Scheduler {
  const names = new Set<string>();
  for (const job of jobs) {
    if (names.has(job.name)) throw new Error(`two scheduled jobs are named "${job.name}"`);
    names.add(job.name);
    checkCronPattern(job.pattern, job.setting ?? `job ${job.name}`);
  }
  const busy = new Set<string>();
  const byName = new Map(jobs.map((j) => [j.name, j]));

  async function guarded(job: ScheduledJob): Promise<JobResult> {
    if (busy.has(job.name)) {
      services.log(`[jobs] ${job.name} skipped: the previous run is still going`);
      return { ok: false, error: "already running" };
    }
    busy.add(job.name);
    try {
      return await runJob(services, job.name, job.run);
    } finally {
      busy.delete(job.name);
    }
  }

  // croner's `protect` guards its own ticks; `busy` also covers runNow racing a tick.
  const crons = jobs.map(
    (job) =>
      new Cron(
        job.pattern,
        {
          protect: (c) =>
            services.log(`[jobs] ${job.name} skipped at ${c.currentRun()?.toISOString() ?? "?"}: the previous run is still going`),
          unref: true,
          mode: "5-or-6-parts",
          catch: true,
        },
        async () => {
          await guarded(job);
        },
      ),
  );
  return {
    stop() {
      for (const c of crons) c.stop();
    },
    runNow(name) {
      const job = byName.get(name);
      if (!job) throw new Error(`no scheduled job "${name}"`);
      return guarded(job);
    },
  };
}
