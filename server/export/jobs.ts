import { chmod, mkdir, readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { OrgExportRow } from "../../db/control/schema";
import { newId } from "../auth/tokens";
import type { Services } from "../services";
import { STORAGE_FULL_MESSAGE } from "../storage/storage-full";
import { ExportError, ExportExistsError, writeOrgExport } from "./write-export";

/**
 * Organisation exports in the background: a request only queues a row in `org_exports`; the ZIP is
 * written off the request path, one export at a time per process (an export reads every table and
 * file of an organisation; several at once would only compete for the same disk).
 *
 *   queued → running → done (downloadable until expires_at) → expired (file deleted)
 *                    ↘ failed (error says why; nothing is left on disk)
 */

export const EXPORT_ID = /^x[a-z2-7]{24}$/;

export function exportsDir(dataDir: string) {
  return join(dataDir, "exports");
}

/** The ZIP of one export; the id is checked before it reaches a path. */
export function exportFilePath(dataDir: string, exportId: string) {
  if (!EXPORT_ID.test(exportId)) throw new Error("not an export id");
  return join(exportsDir(dataDir), `${exportId}.zip`);
}

/** Progress is written to the control DB at most this often. */
const PROGRESS_EVERY_MS = 200;

/** Raised when an export of the organisation is already queued or running. */
export class ExportBusyError extends Error {
  override name = "ExportBusyError";
}

const queues = new WeakMap<Services, Promise<void>>();

/**
 * Queues an export of `tenantId` requested by `userId` and returns its row; the work starts on a
 * later turn of the event loop. Refuses (ExportBusyError) while another export of the same
 * organisation is queued or running.
 */
export async function startExport(services: Services, tenantId: string, userId: string): Promise<OrgExportRow> {
  const now = services.clock.now();
  const row: OrgExportRow = {
    id: newId("x"),
    tenant_id: tenantId,
    requested_by: userId,
    status: "queued",
    done: 0,
    total: 0,
    file_name: null,
    bytes: null,
    sha256: null,
    error: null,
    created_at: now,
    finished_at: null,
    expires_at: null,
  };
  await services.control.transaction().execute(async (trx) => {
    const busy = await trx
      .selectFrom("org_exports")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("status", "in", ["queued", "running"])
      .executeTakeFirst();
    if (busy) throw new ExportBusyError("An export of this organisation is already in progress.");
    await trx.insertInto("org_exports").values(row).execute();
  });
  return row;
}

/** Runs a queued export after the ones before it; called once the request that queued it has committed. */
export function scheduleExport(services: Services, exportId: string) {
  const previous = queues.get(services) ?? Promise.resolve();
  const next = previous.then(
    () => new Promise<void>((resolve) => setImmediate(() => void runExport(services, exportId).then(resolve, resolve))),
  );
  queues.set(services, next);
}

/** Resolves once every export queued so far in this process has finished (tests, shutdown). */
export function exportsIdle(services: Services): Promise<void> {
  return queues.get(services) ?? Promise.resolve();
}

/** Never throws: every outcome ends on the export's row (or in the log when even that fails). */
async function runExport(services: Services, exportId: string) {
  const { control, config, clock, log } = services;
  let file: string | null = null;
  try {
    const claimed = await control
      .updateTable("org_exports")
      .set({ status: "running" })
      .where("id", "=", exportId)
      .where("status", "=", "queued")
      .returning(["tenant_id"])
      .executeTakeFirst();
    if (!claimed) return;
    const dir = exportsDir(config.dataDir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    file = exportFilePath(config.dataDir, exportId);
    let last = 0;
    let writing: Promise<unknown> = Promise.resolve();
    const result = await writeOrgExport(services, claimed.tenant_id, file, (done, total) => {
      const at = performance.now();
      if (at - last < PROGRESS_EVERY_MS && done !== 0) return;
      last = at;
      // Chained, so progress rows are written in order and never pile up in parallel.
      writing = writing
        .then(() => control.updateTable("org_exports").set({ done, total }).where("id", "=", exportId).execute())
        .catch(() => {});
    });
    await writing;
    const now = clock.now();
    const total = Object.values(result.counts).reduce((n, v) => n + v, 0);
    await control
      .updateTable("org_exports")
      .set({
        status: "done",
        done: total,
        total,
        file_name: `${exportId}.zip`,
        bytes: result.bytes,
        sha256: result.sha256,
        finished_at: now,
        expires_at: now + config.exportLinkMs,
      })
      .where("id", "=", exportId)
      .execute();
    log(`[exports] ${exportId} done: ${result.bytes} bytes, sha256 ${result.sha256}`);
  } catch (error) {
    log(`[exports] ${exportId} failed: ${(error as Error)?.stack ?? String(error)}`);
    // A file that was there before is not this export's to remove.
    if (file && !(error instanceof ExportExistsError)) await unlink(file).catch(() => {});
    // A disk that filled while the archive was written is the server's state, and may start an episode.
    const full = services.disk.noteError(error);
    const message =
      error instanceof ExportError
        ? error.message
        : full
          ? STORAGE_FULL_MESSAGE
          : "The export could not be written; the server log has the details. Try again.";
    await control
      .updateTable("org_exports")
      .set({ status: "failed", error: message, finished_at: clock.now() })
      .where("id", "=", exportId)
      .execute()
      .catch((e) => log(`[exports] cannot record the failure of ${exportId}: ${String(e)}`));
  }
}

/**
 * Deletes the files of finished exports whose link has expired and marks them expired; returns how
 * many. For the scheduler (hourly is plenty: the download route refuses expired links by itself).
 */
export async function expireExports(services: Services): Promise<number> {
  const now = services.clock.now();
  const due = await services.control
    .selectFrom("org_exports")
    .select(["id"])
    .where("status", "=", "done")
    .where("expires_at", "<=", now)
    .execute();
  let expired = 0;
  for (const { id } of due) {
    await unlink(exportFilePath(services.config.dataDir, id)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
    await services.control
      .updateTable("org_exports")
      .set({ status: "expired" })
      .where("id", "=", id)
      .where("status", "=", "done")
      .execute();
    expired++;
  }
  return expired;
}

/**
 * At start-up: exports left queued or running by a previous process will never finish (the queue
 * lived in its memory), so they become failed, and half-written files are removed. Returns how many.
 */
export async function failInterruptedExports(services: Services): Promise<number> {
  const { control, config, clock } = services;
  const stuck = await control.selectFrom("org_exports").select("id").where("status", "in", ["queued", "running"]).execute();
  for (const { id } of stuck) {
    await unlink(exportFilePath(config.dataDir, id)).catch(() => {});
    await control
      .updateTable("org_exports")
      .set({ status: "failed", error: "The server restarted while this export was in progress; start it again.", finished_at: clock.now() })
      .where("id", "=", id)
      .where("status", "in", ["queued", "running"])
      .execute();
  }
  const dir = exportsDir(config.dataDir);
  const leftovers = await readdir(dir).catch(() => [] as string[]);
  for (const name of leftovers) if (name.startsWith(".") && name.endsWith(".tmp")) await unlink(join(dir, name)).catch(() => {});
  return stuck.length;
}
