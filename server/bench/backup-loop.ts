/**
 * `npx tsx server/bench/backup-loop.ts`: what a full backup costs the server's event loop (issue 29,
 * ADR 020). On one seeded instance (an agency of LARGE size with BENCH_BLOBS attachment blobs, plus
 * the bench organisation) with BENCH_WRITERS clients writing over HTTP throughout, it takes three
 * full backups and prints, for each, its duration and the event loop's delay (perf_hooks
 * monitorEventLoopDelay: max and p99) while it ran, after 15 s of the writers alone (baseline):
 *   thread   scheduledBackup: backupAll in a worker thread (what BACKUP_CRON does now)
 *   cli      `npm run cli -- backup` in its own process, for the CLI's speed
 *   in-loop  backupAll in the server's own event loop (what BACKUP_CRON did before ADR 020); one
 *            still running after BENCH_LIMIT_SECONDS (default 180) is printed with ">" and abandoned
 * Prints figures; asserts nothing.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { openSqlite } from "../../db/sqlite";
import { tenantFilePath } from "../../db/tenant/paths";
import { backupAll } from "../backup/backup";
import { scheduledBackup } from "../backup/scheduled-backup";
import { newId } from "../auth/tokens";
import { blobDir } from "../files/storage";
import { createTenant } from "../tenants/create-tenant";
import { runTsx } from "../test/support/run-tsx";
import { LARGE, seedLargeOrg } from "./seed-large";
import { startSeededApp } from "./seed";

const WRITERS = Number(process.env.BENCH_WRITERS ?? 20);
const BLOBS = Number(process.env.BENCH_BLOBS ?? 632);
// The in-loop backup can take many minutes under writers; past this its figures are printed as they stand.
const LIMIT_MS = Number(process.env.BENCH_LIMIT_SECONDS ?? 180) * 1000;

async function main() {
  const app = await startSeededApp();
  let writing = true;
  let written = 0;
  let writers: Promise<void>[] = [];
  try {
    const { services, config, user } = app;
    const large = await createTenant(
      services,
      user,
      { name: "Large Agency", slug: "large-agency" },
      { ip: "127.0.0.1", userAgent: "bench" },
    );
    await services.pool.close(large.id);
    const db = openSqlite(tenantFilePath(config.dataDir, large.id), { synchronous: config.synchronous, mustExist: true });
    try {
      seedLargeOrg(db, user.id, LARGE);
      const projectId = db.prepare("select id from projects limit 1").pluck().get() as string;
      const dir = blobDir(config.dataDir, large.id);
      mkdirSync(dir, { recursive: true });
      const insert = db.prepare(
        "insert into attachments (id, target_type, target_id, project_id, name, content_type, size, blob_name, uploaded_by, created_at) values (?, 'project', ?, ?, ?, 'application/pdf', ?, ?, ?, ?)",
      );
      db.transaction(() => {
        for (let i = 0; i < BLOBS; i++) {
          const name = randomBytes(16).toString("hex");
          const bytes = randomBytes(16_384 + ((i * 7919) % 131_072));
          writeFileSync(join(dir, name), bytes);
          insert.run(newId("f"), projectId, projectId, `file-${i}.pdf`, bytes.length, name, user.id, Date.now());
        }
      })();
    } finally {
      db.close();
    }

    const writer = async () => {
      while (writing) {
        const res = await fetch(`${app.appUrl}/api/trpc/clients.create`, {
          method: "POST",
          headers: { cookie: app.cookie, "content-type": "application/json", origin: config.appUrl ?? app.appUrl },
          body: JSON.stringify({ org: app.org.slug, name: `Writer client ${++written}` }),
        });
        await res.arrayBuffer();
      }
    };
    writers = Array.from({ length: WRITERS }, writer);

    const measure = async (label: string, run: () => Promise<unknown>) => {
      // Each run starts from an empty BACKUP_DIR: blobs are copied only when absent, so a second
      // run into the same directory would skip the blob copies the first one paid for.
      rmSync(config.backupDir, { recursive: true, force: true });
      const delay = monitorEventLoopDelay({ resolution: 10 });
      const before = written;
      delay.enable();
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        run().then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), LIMIT_MS))),
      ]);
      clearTimeout(timer);
      const ms = performance.now() - started;
      delay.disable();
      const p = (ns: number) => `${(ns / 1e6).toFixed(0)} ms`;
      console.log(
        `${label.padEnd(8)} ${finished ? "" : "> "}${(ms / 1000).toFixed(1).padStart(6)} s   event-loop delay max ${p(delay.max).padStart(7)}  p99 ${p(delay.percentile(99)).padStart(6)}   writes meanwhile ${written - before}`,
      );
    };
    console.log(`${WRITERS} writers over HTTP; backing up ${LARGE.tasks} tasks, ${LARGE.timeEntries} time entries, ${BLOBS} blobs`);
    // The writers' own cost to the loop (each commit's fsync runs in it), to compare the rest with.
    await measure("baseline", () => new Promise((resolve) => setTimeout(resolve, 15_000)));
    await measure("thread", () => scheduledBackup(services));
    await measure("cli", async () => {
      const res = await runTsx("server/cli/main.ts", ["backup"], {
        env: { ...process.env, DATA_DIR: config.dataDir, NODE_ENV: "test", MASTER_KEY_FILE: config.masterKeyFile ?? "" },
        timeoutMs: 600_000,
      });
      if (res.status !== 0) throw new Error(`cli backup failed: ${res.stderr}`);
    });
    // Last: one that does not finish in time is left running while the process exits.
    await measure("in-loop", () => backupAll(services));
  } finally {
    writing = false;
    await Promise.allSettled(writers);
  }
  // Not app.cleanup(), which waits for handles an abandoned in-loop backup may still hold.
  rmSync(app.dataDir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
