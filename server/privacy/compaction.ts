import { existsSync } from "node:fs";
import { sql, type Kysely } from "kysely";
import type { ControlDB } from "../../db/control/schema";
import { tenantFilePath } from "../../db/tenant/paths";
import type { Services } from "../services";

/**
 * After an account deletion the rewritten rows are gone from the tables, but old versions of their
 * pages can still sit in the WAL and in free pages (a member row deleted long ago, when the person
 * left). Rebuilding a file (VACUUM) and emptying its WAL removes them, and costs as much as copying
 * the file while blocking this process's event loop (better-sqlite3 is synchronous). So it never
 * runs inside a request (issue 24): the deletion records each file it changed in
 * `file_compactions`, in the same control transaction that completes it, and this job compacts them
 * later. The row stays until the file is done, so a restart, a crash or a busy WAL loses nothing.
 */

export const CONTROL_TARGET = "control";

/** Records files to compact; a file already waiting keeps one row, with the latest request time. */
export async function queueCompaction(db: Kysely<ControlDB>, targets: Iterable<string>, now: number) {
  const values = [...new Set(targets)].map((target) => ({ target, requested_at: now }));
  if (!values.length) return;
  await db
    .insertInto("file_compactions")
    .values(values)
    .onConflict((oc) => oc.column("target").doUpdateSet({ requested_at: now }))
    .execute();
}

export type CompactionCounts = { compacted: number; skipped: number; failed: number };

/**
 * Compacts every queued file, one at a time (each holds its handle's only connection while it is
 * rebuilt). A file whose organisation was purged or whose file is gone is dropped from the queue; a
 * failure or a WAL another process keeps open leaves the row for the next run.
 */
export async function runCompactions(services: Pick<Services, "control" | "pool" | "config" | "log">): Promise<CompactionCounts> {
  const { control } = services;
  const queued = await control.selectFrom("file_compactions").select(["target", "requested_at"]).orderBy("requested_at").execute();
  const counts: CompactionCounts = { compacted: 0, skipped: 0, failed: 0 };
  for (const row of queued) {
    // Being restored: it stays queued (a restore reapplies deletions to the file it writes anyway).
    if (services.pool.isOutOfService(row.target)) continue;
    let done: boolean;
    const started = performance.now();
    try {
      done = await compactTarget(services, row.target);
      services.log(`[privacy] compacted ${row.target} in ${Math.round(performance.now() - started)} ms`);
      if (done) counts.compacted++;
      else counts.skipped++;
    } catch (error) {
      counts.failed++;
      const message = error instanceof Error ? error.message : String(error);
      services.log(`[privacy] compaction of ${row.target} failed: ${message}`);
      await control
        .updateTable("file_compactions")
        .set((eb) => ({ attempts: eb("attempts", "+", 1), last_error: message }))
        .where("target", "=", row.target)
        .execute();
      continue;
    }
    // A deletion that queued the same file again meanwhile (a later requested_at) keeps its row.
    await control.deleteFrom("file_compactions").where("target", "=", row.target).where("requested_at", "=", row.requested_at).execute();
  }
  return counts;
}

/** True when compacted; false when there is nothing left to compact (organisation purged, file gone). */
async function compactTarget(services: Pick<Services, "control" | "pool" | "config">, target: string): Promise<boolean> {
  if (target === CONTROL_TARGET) {
    await compactFile(services.control);
    return true;
  }
  const tenant = await services.control.selectFrom("tenants").select("status").where("id", "=", target).executeTakeFirst();
  if (!tenant || !["active", "closed"].includes(tenant.status)) return false;
  if (!existsSync(tenantFilePath(services.config.dataDir, target))) return false;
  const lease = await services.pool.acquire(target);
  try {
    await compactFile(lease.db);
    return true;
  } finally {
    lease.release();
  }
}

/**
 * VACUUM, then empty the WAL. Holds the handle's only connection throughout, so no transaction of
 * this process interleaves. Throws when the WAL could not be truncated (another process has the
 * file open), so the file stays queued.
 */
export async function compactFile<DB>(db: Kysely<DB>): Promise<void> {
  await db.connection().execute(async (conn) => {
    await sql`vacuum`.execute(conn);
    const checkpoint = (await sql<{ busy: number }>`pragma wal_checkpoint(TRUNCATE)`.execute(conn)).rows[0];
    if (checkpoint?.busy !== 0) throw new Error("the WAL is still in use by another connection; retried on the next run");
  });
}

const chains = new WeakMap<object, Promise<unknown>>();

/**
 * Runs the queue after whatever compaction this process already has under way (the scheduled job
 * and the kick after a deletion share it), on a later turn of the event loop.
 */
export function compactQueued(services: Pick<Services, "control" | "pool" | "config" | "log">): Promise<CompactionCounts> {
  const previous = chains.get(services) ?? Promise.resolve();
  const next = previous.then(
    () =>
      new Promise<CompactionCounts>((resolve, reject) => {
        setImmediate(() => {
          runCompactions(services).then(resolve, reject);
        });
      }),
  );
  chains.set(
    services,
    next.catch(() => undefined),
  );
  return next;
}

/** Starts the queue after a deletion answered; never throws (the scheduled job retries what fails). */
export function kickCompaction(services: Pick<Services, "control" | "pool" | "config" | "log">) {
  compactQueued(services).catch((error: unknown) =>
    services.log(`[privacy] compaction run failed: ${error instanceof Error ? error.message : String(error)}`),
  );
}

/** Resolves once every compaction started so far in this process has finished (tests, CLI). */
export async function compactionsIdle(services: object): Promise<void> {
  await (chains.get(services) ?? Promise.resolve());
}
