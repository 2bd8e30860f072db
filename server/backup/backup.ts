import { closeSync, existsSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { ControlDb } from "../../db/control/open";
import { tenantFilePath } from "../../db/tenant/paths";
import type { Clock } from "../clock";
import type { Config } from "../config";
import { blobDir } from "../files/storage";
import type { Services } from "../services";
import { underWatermark } from "../storage/disk-space";
import { StorageFullError } from "../storage/storage-full";
import { copyMissingBlobs, hasFiles, pruneBlobs } from "./blobs";
import {
  assertStamp,
  baseStamp,
  blobBackupDir,
  compareStamps,
  controlBackupDir,
  controlBackupPath,
  manifestDir,
  manifestPath,
  privateDir,
  stampsIn,
  tenantBackupDir,
  tenantBackupPath,
  tenantBackupsRoot,
  tenantIdsWithBackups,
  withSuffix,
} from "./layout";
import { acquireBackupLock } from "./lock";
import { referencedBlobs, snapshotDatabase, type FileFacts } from "./sqlite-copy";

export interface BackupDeps {
  config: Config;
  control: ControlDb;
  /** Names the stamp; the system clock when absent. */
  clock?: Clock;
  log?: (line: string) => void;
}

export interface BackupProgress {
  done: number;
  total: number;
  /** The organisation being copied (its slug), or "control". */
  item: string;
}

export interface BackupOptions {
  /** Only this organisation (slug or id), without the control DB. */
  org?: string;
  onProgress?: (p: BackupProgress) => void;
  /** Use this stamp (a suffix is added if it is taken) instead of one from the clock. */
  stamp?: string;
}

export interface TenantBackup extends FileFacts {
  tenantId: string;
  slug: string;
  /** Attachment blobs the backup refers to, how many were copied this run, and how many were already gone. */
  blobs: number;
  blobsCopied: number;
  blobsMissing: number;
}

export interface BackupSummary {
  stamp: string;
  dir: string;
  control: FileFacts | null;
  tenants: TenantBackup[];
  bytes: number;
  failures: { target: string; error: string }[];
  /** Backups deleted by rotation (control and organisation files). */
  removed: number;
  ms: number;
}

export interface Manifest {
  stamp: string;
  scope: "all" | "org";
  startedAt: string;
  control: (FileFacts & { file: string }) | null;
  tenants: (TenantBackup & { file: string })[];
  failures: BackupSummary["failures"];
}

export class BackupTargetError extends Error {
  override name = "BackupTargetError";
}

/** Claims a stamp no other run has: its manifest placeholder is created with O_EXCL, across processes. */
function reserveStamp(backupDir: string, base: string) {
  for (let n = 1; ; n++) {
    const stamp = withSuffix(base, n);
    const manifest = manifestPath(backupDir, stamp);
    if (existsSync(manifest) || existsSync(controlBackupPath(backupDir, stamp))) continue;
    try {
      closeSync(openSync(`${manifest}.partial`, "wx", 0o600));
      return stamp;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The organisations a full run copies, read from the control backup just taken rather than the live
 * DB: every organisation that backup knows is then in the same stamp, and one created a moment
 * later is not (restoring the stamp would give it a file but no control row).
 */
export function backedUpTenants(controlFile: string): { id: string; slug: string }[] {
  const db = new Database(controlFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("select id, slug from tenants where status in ('active', 'closed') order by slug").all() as {
      id: string;
      slug: string;
    }[];
  } finally {
    db.close();
  }
}

async function tenantsToCopy(deps: BackupDeps, org: string | undefined) {
  let query = deps.control.selectFrom("tenants").select(["id", "slug", "status"]).where("status", "in", ["active", "closed"]);
  if (org) query = query.where((eb) => eb.or([eb("slug", "=", org), eb("id", "=", org)]));
  const rows = await query.orderBy("slug").execute();
  if (org && !rows.length) throw new BackupTargetError(`no active or closed organisation "${org}"`);
  return rows.map(({ id, slug }) => ({ id, slug }));
}

async function backupTenant(config: Config, tenant: { id: string; slug: string }, stamp: string): Promise<TenantBackup> {
  const dir = tenantBackupDir(config.backupDir, tenant.id);
  privateDir(dir);
  const dest = tenantBackupPath(config.backupDir, tenant.id, stamp);
  const facts = await snapshotDatabase(tenantFilePath(config.dataDir, tenant.id), dest);
  // After the snapshot: an attachment row is committed only once its blob is in place, so every
  // blob the snapshot names existed when it was taken (unless deleted since; counted as missing).
  const names = referencedBlobs(dest);
  const copy = names.length
    ? await copyMissingBlobs(names, blobDir(config.dataDir, tenant.id), blobBackupDir(config.backupDir, tenant.id))
    : { copied: 0, missing: [] };
  return {
    tenantId: tenant.id,
    slug: tenant.slug,
    ...facts,
    blobs: names.length,
    blobsCopied: copy.copied,
    blobsMissing: copy.missing.length,
  };
}

/**
 * Online backup of the control DB and every active or closed organisation (or one organisation),
 * while the server keeps serving: each database is copied with SQLite's backup API from its own
 * read connection (server/backup/sqlite-copy.ts), one file at a time, then old backups are rotated
 * out. A failing organisation is recorded and the run goes on. One run at a time per BACKUP_DIR
 * (server/backup/lock.ts): a second one, in this process or another, fails with BackupLockedError.
 */
export async function backupAll(deps: BackupDeps | Services, options: BackupOptions = {}): Promise<BackupSummary> {
  const { config } = deps;
  const started = performance.now();
  const backupDir = config.backupDir;
  // Copies of every database onto DATA_DIR's own disk would eat the last of its room: refused up
  // front under the watermark (a BACKUP_DIR on another disk, as recommended, is never refused).
  if ("disk" in deps) deps.disk.assertRoomForLargeWrite(backupDir);
  else if (underWatermark(backupDir, config.dataDir, config.diskWatermarkPercent)) throw new StorageFullError();
  for (const dir of [
    backupDir,
    controlBackupDir(backupDir),
    tenantBackupsRoot(backupDir),
    join(backupDir, "blobs"),
    manifestDir(backupDir),
  ])
    privateDir(dir);
  const lock = acquireBackupLock(backupDir);
  try {
    return await runBackup(deps, options, started, () => lock.refresh());
  } finally {
    lock.release();
  }
}

async function runBackup(deps: BackupDeps | Services, options: BackupOptions, started: number, alive: () => void): Promise<BackupSummary> {
  const { config } = deps;
  const backupDir = config.backupDir;
  const base = options.stamp ? assertStamp(options.stamp).replace(/-\d+$/, "") : baseStamp(deps.clock?.now() ?? Date.now());
  const stamp = reserveStamp(backupDir, base);
  const summary: BackupSummary = { stamp, dir: backupDir, control: null, tenants: [], bytes: 0, failures: [], removed: 0, ms: 0 };
  try {
    let tenants: { id: string; slug: string }[];
    if (options.org) {
      tenants = await tenantsToCopy(deps, options.org);
    } else {
      // No progress before this: the total is known only once the control backup lists the organisations.
      try {
        summary.control = await snapshotDatabase(join(config.dataDir, "control.sqlite"), controlBackupPath(backupDir, stamp));
        tenants = backedUpTenants(controlBackupPath(backupDir, stamp));
      } catch (error) {
        summary.failures.push({ target: "control", error: message(error) });
        tenants = await tenantsToCopy(deps, undefined);
      }
    }
    const total = tenants.length + (options.org ? 0 : 1);
    let done = options.org ? 0 : 1;
    for (const tenant of tenants) {
      options.onProgress?.({ done, total, item: tenant.slug });
      try {
        summary.tenants.push(await backupTenant(config, tenant, stamp));
      } catch (error) {
        summary.failures.push({ target: tenant.slug, error: message(error) });
        deps.log?.(`[backup] ${tenant.slug} (${tenant.id}) failed: ${message(error)}`);
      }
      alive();
      done++;
    }
    options.onProgress?.({ done, total, item: "" });
    summary.bytes = (summary.control?.bytes ?? 0) + summary.tenants.reduce((n, t) => n + t.bytes, 0);
    summary.removed = rotate(config, options.org ? new Set(tenants.map((t) => t.id)) : null, new Set(tenants.map((t) => t.id)));
  } catch (error) {
    // Nothing was written under this stamp (an unknown organisation, an unreadable control DB): free it.
    if (!summary.control && !summary.tenants.length) rmSync(`${manifestPath(backupDir, stamp)}.partial`, { force: true });
    else writeManifest(backupDir, stamp, options.org ? "org" : "all", deps.clock?.now() ?? Date.now(), summary);
    throw error;
  }
  writeManifest(backupDir, stamp, options.org ? "org" : "all", deps.clock?.now() ?? Date.now(), summary);
  summary.ms = performance.now() - started;
  return summary;
}

function writeManifest(backupDir: string, stamp: string, scope: Manifest["scope"], startedAt: number, summary: BackupSummary) {
  const manifest: Manifest = {
    stamp,
    scope,
    startedAt: new Date(startedAt).toISOString(),
    control: summary.control && { file: `control/${stamp}.sqlite`, ...summary.control },
    tenants: summary.tenants.map((t) => ({ file: `tenants/${t.tenantId}/${stamp}.sqlite`, ...t })),
    failures: summary.failures,
  };
  const path = manifestPath(backupDir, stamp);
  writeFileSync(`${path}.partial`, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.partial`, path);
}

export function readManifest(backupDir: string, stamp: string): Manifest | null {
  const path = manifestPath(backupDir, stamp);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Manifest;
  } catch {
    return null;
  }
}

/**
 * Deletes the backups in `dir` that `isKept` rejects (`newer`: how many backups in `dir` are newer),
 * and half-written ones older than every kept one; returns the kept stamps and how many went.
 */
function pruneDir(dir: string, isKept: (stamp: string, newer: number) => boolean, removed: { n: number }) {
  const stamps = stampsIn(dir);
  const kept: string[] = [];
  let gone = 0;
  for (const [i, stamp] of stamps.entries()) {
    if (isKept(stamp, stamps.length - 1 - i)) {
      kept.push(stamp);
    } else {
      rmSync(join(dir, `${stamp}.sqlite`), { force: true });
      removed.n++;
      gone++;
    }
  }
  const oldestKept = kept[0];
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const m = /^(.+)\.sqlite\.partial(?:-journal)?$/.exec(name);
    if (m && (!oldestKept || compareStamps(m[1]!, oldestKept) < 0)) rmSync(join(dir, name), { force: true });
  }
  return { kept, gone };
}

/**
 * Retention: the newest BACKUP_KEEP backups of the control DB and of each organisation stay, and so
 * does each organisation's file of every kept control backup: `restore --all` of a kept stamp needs
 * all of them, and single-organisation runs (which make no control backup) must not push them out.
 * An organisation no longer backed up (purged, or gone) keeps its backups only while a kept control
 * backup may still name it; after that its files and blobs go, so erased data leaves the backups
 * within BACKUP_KEEP runs. Blobs no kept backup refers to are deleted with the last one that did.
 * `only` limits the run to the organisations of a single-organisation backup.
 */
function rotate(config: Config, only: Set<string> | null, current: Set<string>) {
  const { backupDir, backupKeep } = config;
  const removed = { n: 0 };
  if (!only) pruneDir(controlBackupDir(backupDir), (_, newer) => newer < backupKeep, removed);
  const fullRuns = stampsIn(controlBackupDir(backupDir));
  const fullRunSet = new Set(fullRuns);
  const oldestControl = fullRuns[0];
  const keptStamps = [...fullRuns];
  for (const tenantId of only ? [...only] : tenantIdsWithBackups(backupDir)) {
    const dir = tenantBackupDir(backupDir, tenantId);
    // A gone organisation's backups age out with the control backups; with none kept, they all go.
    const isKept = current.has(tenantId)
      ? (stamp: string, newer: number) => newer < backupKeep || fullRunSet.has(stamp)
      : (stamp: string) => oldestControl !== undefined && compareStamps(stamp, oldestControl) >= 0;
    const { kept, gone } = pruneDir(dir, isKept, removed);
    keptStamps.push(...kept);
    const blobs = blobBackupDir(backupDir, tenantId);
    if (!kept.length) {
      rmSync(dir, { recursive: true, force: true });
      rmSync(blobs, { recursive: true, force: true });
    } else if (gone > 0 && hasFiles(blobs)) {
      const keep = new Set(kept.flatMap((s) => referencedBlobs(tenantBackupPath(backupDir, tenantId, s))));
      pruneBlobs(blobs, keep);
    }
  }
  // A manifest goes once every file it lists is gone.
  if (!only && keptStamps.length) {
    const oldest = keptStamps.sort(compareStamps)[0]!;
    for (const name of readdirSync(manifestDir(backupDir))) {
      const m = /^(.+)\.json$/.exec(name);
      if (m && compareStamps(m[1]!, oldest) < 0) rmSync(join(manifestDir(backupDir), name), { force: true });
    }
  }
  return removed.n;
}

/** One line for logs and the CLI. */
export function describeBackup(s: BackupSummary) {
  const mb = (s.bytes / 1024 / 1024).toFixed(1);
  const what = s.control
    ? `control + ${s.tenants.length} organisations`
    : `${s.tenants.length} organisation${s.tenants.length === 1 ? "" : "s"}`;
  return `Backed up ${what} (${mb} MB) as ${s.stamp} in ${(s.ms / 1000).toFixed(1)} s; removed ${s.removed} old backups; ${s.failures.length} failed.`;
}

export class BackupFailedError extends Error {
  override name = "BackupFailedError";
}
