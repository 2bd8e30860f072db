import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readManifest } from "../backup/backup";
import { tenantBackupPath } from "../backup/layout";
import { backupLockPath } from "../backup/lock";
import { sha256File } from "../backup/sqlite-copy";
import { defaultJobs, startScheduler, type Scheduler } from "../jobs/scheduler";
import { startInstance, type Instance } from "./support/instance";
import { orgWithData } from "./support/world";

let instance: Instance;
let org: Awaited<ReturnType<typeof orgWithData>>;
let scheduler: Scheduler;

beforeAll(async () => {
  instance = await startInstance({ BACKUP_CRON: "30 2 * * *" });
  org = await orgWithData(instance, "nightly");
  scheduler = startScheduler(instance.services, defaultJobs(instance.services));
}, 60_000);
afterAll(async () => {
  scheduler.stop();
  await instance.stop();
});

describe("the scheduled backup (BACKUP_CRON)", () => {
  it("runs backupAll in a worker thread and records a backup every file of which matches its manifest", async () => {
    const result = await scheduler.runNow("backup");
    expect(result.ok, JSON.stringify(result)).toBe(true);
    if (!result.ok) return;
    const stamp = result.detail.stamp as string;
    const manifest = readManifest(instance.services.config.backupDir, stamp)!;
    expect(manifest.scope).toBe("all");
    expect(manifest.tenants.map((t) => t.slug)).toEqual(["nightly"]);
    expect(manifest.tenants[0]!.sha256).toBe(await sha256File(tenantBackupPath(instance.services.config.backupDir, org.tenantId, stamp)));
    expect(manifest.tenants[0]!.blobs).toBeGreaterThan(0);
    // The summary came back over a thread boundary: plain data, and the run is in job_runs.
    const run = await instance.services.control.selectFrom("job_runs").selectAll().where("job", "=", "backup").executeTakeFirstOrThrow();
    expect(run.ok).toBe(1);
    expect(JSON.parse(run.detail)).toMatchObject({ stamp, failures: [] });
    expect(instance.logs.some((line) => line.includes(`[backup] Backed up control + 1 organisations`))).toBe(true);
  });

  it("is recorded as failed, naming the lock, while another backup holds BACKUP_DIR", async () => {
    const lock = backupLockPath(instance.services.config.backupDir);
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString(), token: "other" }));
    try {
      const result = await scheduler.runNow("backup");
      expect(result).toEqual({ ok: false, error: expect.stringContaining(lock) });
      expect(readFileSync(lock, "utf8")).toContain('"token":"other"');
    } finally {
      rmSync(lock, { force: true });
    }
  });
});
