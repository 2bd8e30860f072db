import { Worker } from "node:worker_threads";
import type { Services } from "../services";
import { BackupFailedError, describeBackup, type BackupSummary } from "./backup";
import { BackupLockedError } from "./lock";

type FromThread = { log: string } | { summary: BackupSummary } | { error: string; name: string };

/**
 * The same backup as the CLI's, run in a worker thread (server/backup/backup-thread.ts). In the
 * event loop it cost the server an 828 ms stall (the one-step page copy after a writer restarted
 * the backup, hashing, blob copies) and took 35–51 s where the CLI took 4.8 s, every step queued
 * behind requests (issue 29; figures before and after in ADR 020, from server/bench/backup-loop.ts).
 */
export function backupOffThread(services: Pick<Services, "config" | "log" | "disk">): Promise<BackupSummary> {
  // Refused before a thread starts, with the same error the CLI gets.
  services.disk.assertRoomForLargeWrite(services.config.backupDir);
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("../../scripts/backup-thread.mjs", import.meta.url), { workerData: { config: services.config } });
    let settled = false;
    worker.on("message", (message: FromThread) => {
      if ("log" in message) return services.log(message.log);
      settled = true;
      if ("summary" in message) resolve(message.summary);
      else reject(message.name === "BackupLockedError" ? new BackupLockedError(message.error) : new Error(message.error));
    });
    worker.on("error", (error) => {
      settled = true;
      reject(error);
    });
    worker.on("exit", (code) => {
      if (!settled) reject(new Error(`the backup thread stopped (exit code ${code}) without a result`));
    });
  });
}

/**
 * For the scheduler (BACKUP_CRON): a full backup with rotation, off the event loop. Logs the
 * summary; throws when anything failed, so the job run is recorded as failed, after every other
 * organisation was copied.
 */
export async function scheduledBackup(services: Pick<Services, "config" | "log" | "disk">): Promise<BackupSummary> {
  const summary = await backupOffThread(services);
  services.log(`[backup] ${describeBackup(summary)}`);
  if (summary.failures.length) {
    throw new BackupFailedError(`backup ${summary.stamp}: ${summary.failures.map((f) => `${f.target}: ${f.error}`).join("; ")}`);
  }
  return summary;
}
