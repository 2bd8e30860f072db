import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { ControlDB } from "../../db/control/schema";
import { destroyHandle, kyselyFor } from "../../db/sqlite";
import { readManifest, type Manifest } from "../backup/backup";
import { blobBackupDir, controlBackupDir, manifestDir, manifestPath, stampsIn, tenantBackupDir } from "../backup/layout";
import { acquireBackupLock } from "../backup/lock";
import { sha256File } from "../backup/sqlite-copy";
import { tombstoneTenant } from "./tombstone";

export interface BackupShred {
  /** Control backups whose copy of the organisation's row was cut to a tombstone. */
  scrubbed: number;
  /** Control backups deleted because they could not be scrubbed (e.g. an older schema). */
  deleted: number;
  /** The organisation's own backup directories removed (its files, its blobs). */
  removedDirs: number;
}

/**
 * Takes a purged organisation out of BACKUP_DIR in the same purge (ADR 020): its own backups and
 * blobs are deleted, and every control backup's copy of its row (which holds the wrapped data key)
 * is cut to the same tombstone as the live row, with secure_delete so the old cell is zeroed, and
 * the manifest's sha256 updated so the backup still restores. Holds the backup lock: a run in
 * progress would copy the organisation again or trip over a changed file; while one runs this
 * throws BackupLockedError and the purge finishes the organisation on its next run.
 */
export async function shredBackups(backupDir: string, tenantId: string, now: number): Promise<BackupShred> {
  const result: BackupShred = { scrubbed: 0, deleted: 0, removedDirs: 0 };
  if (!existsSync(backupDir)) return result;
  const lock = acquireBackupLock(backupDir);
  try {
    for (const dir of [tenantBackupDir(backupDir, tenantId), blobBackupDir(backupDir, tenantId)]) {
      if (!existsSync(dir)) continue;
      rmSync(dir, { recursive: true, force: true });
      result.removedDirs++;
    }
    const controlDir = controlBackupDir(backupDir);
    // A dead run's half-written control copy may hold the key too; under the lock no run is writing one.
    for (const name of existsSync(controlDir) ? readdirSync(controlDir) : [])
      if (name.includes(".partial")) rmSync(join(controlDir, name), { force: true });
    const changed = new Map<string, { sha256: string; bytes: number } | null>();
    for (const stamp of stampsIn(controlDir)) {
      const path = join(controlDir, `${stamp}.sqlite`);
      try {
        if (!(await scrubControlBackup(path, tenantId, now))) continue;
        changed.set(stamp, { sha256: await sha256File(path), bytes: statSync(path).size });
        result.scrubbed++;
      } catch {
        // A copy that cannot be cut down (older schema, damaged file) would keep the key: it goes.
        rmSync(path, { force: true });
        rmSync(`${path}-journal`, { force: true });
        changed.set(stamp, null);
        result.deleted++;
      }
    }
    rewriteManifests(backupDir, tenantId, changed);
  } finally {
    lock.release();
  }
  return result;
}

/** True when the backup held more of the organisation than its tombstone and was cut down. */
async function scrubControlBackup(path: string, tenantId: string, now: number) {
  const sqlite = new Database(path, { fileMustExist: true });
  const db = kyselyFor<ControlDB>(sqlite);
  try {
    sqlite.pragma("secure_delete = ON");
    const row = sqlite.prepare("select status, wrapped_key from tenants where id = ?").get(tenantId) as
      { status: string; wrapped_key: string | null } | undefined;
    if (!row) return false;
    const members = sqlite.prepare("select count(*) from memberships where tenant_id = ?").pluck().get(tenantId) as number;
    if (row.status === "purged" && row.wrapped_key === null && members === 0) return false;
    await db.transaction().execute(async (trx) => {
      await tombstoneTenant(trx, tenantId, now, ["provisioning", "active", "closed", "purging", "purged"], "purged");
    });
    // Backups are self-contained rollback-journal files; a WAL here would be a leftover to fold in.
    sqlite.pragma("wal_checkpoint(TRUNCATE)");
    return true;
  } finally {
    await destroyHandle(db);
  }
}

/** Manifests stop listing the organisation's files and carry the new sha256 of each scrubbed control backup. */
function rewriteManifests(backupDir: string, tenantId: string, changed: Map<string, { sha256: string; bytes: number } | null>) {
  const dir = manifestDir(backupDir);
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const stamp = /^(\d{8}T\d{6}Z(?:-\d+)?)\.json$/.exec(name)?.[1];
    if (!stamp) continue;
    const manifest = readManifest(backupDir, stamp);
    if (!manifest) continue;
    const tenants = manifest.tenants.filter((t) => t.tenantId !== tenantId);
    const control = changed.get(stamp);
    if (tenants.length === manifest.tenants.length && control === undefined) continue;
    const next: Manifest = {
      ...manifest,
      tenants,
      control: control === undefined || !manifest.control ? manifest.control : control && { ...manifest.control, ...control },
    };
    const path = manifestPath(backupDir, stamp);
    writeFileSync(`${path}.shred`, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    renameSync(`${path}.shred`, path);
  }
}
