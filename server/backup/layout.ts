import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { assertTenantId } from "../../db/tenant/paths";

/**
 * Where backups live, under BACKUP_DIR:
 *
 *   control/<stamp>.sqlite            the control DB (accounts, organisations, wrapped data keys)
 *   tenants/<tenant id>/<stamp>.sqlite one organisation's file
 *   blobs/<tenant id>/<blob name>     attachment blobs, shared by every stamp (blobs never change)
 *   manifests/<stamp>.json            what one run wrote: files, sizes, sha256
 *
 * A stamp is the UTC second the run started (20261125T031500Z), with "-2", "-3", ... when that
 * second is already taken. Every name below is made or checked here before it reaches a path.
 */
const STAMP = /^(\d{8}T\d{6}Z)(?:-([1-9]\d{0,5}))?$/;
const BACKUP_FILE = /^(\d{8}T\d{6}Z(?:-[1-9]\d{0,5})?)\.sqlite$/;

export class InvalidStampError extends Error {
  override name = "InvalidStampError";
}

export function assertStamp(stamp: string): string {
  if (!STAMP.test(stamp))
    throw new InvalidStampError(`not a backup stamp: ${JSON.stringify(stamp).slice(0, 40)} (expected e.g. 20261125T031500Z)`);
  return stamp;
}

export function baseStamp(ms: number) {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
}

export function withSuffix(base: string, n: number) {
  return n <= 1 ? base : `${base}-${n}`;
}

/** Oldest first; "-10" sorts after "-9", which plain string order would not do. */
export function compareStamps(a: string, b: string) {
  const [, baseA, nA] = STAMP.exec(a) ?? [];
  const [, baseB, nB] = STAMP.exec(b) ?? [];
  if (baseA !== baseB) return (baseA ?? a) < (baseB ?? b) ? -1 : 1;
  return Number(nA ?? 1) - Number(nB ?? 1);
}

/** The time a stamp names (its second), for listings. */
export function stampTime(stamp: string) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(stamp);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
}

export const controlBackupDir = (backupDir: string) => join(backupDir, "control");
export const tenantBackupsRoot = (backupDir: string) => join(backupDir, "tenants");
export const tenantBackupDir = (backupDir: string, tenantId: string) => join(tenantBackupsRoot(backupDir), assertTenantId(tenantId));
export const blobBackupDir = (backupDir: string, tenantId: string) => join(backupDir, "blobs", assertTenantId(tenantId));
export const manifestDir = (backupDir: string) => join(backupDir, "manifests");
export const manifestPath = (backupDir: string, stamp: string) => join(manifestDir(backupDir), `${assertStamp(stamp)}.json`);
export const controlBackupPath = (backupDir: string, stamp: string) => join(controlBackupDir(backupDir), `${assertStamp(stamp)}.sqlite`);
export const tenantBackupPath = (backupDir: string, tenantId: string, stamp: string) =>
  join(tenantBackupDir(backupDir, tenantId), `${assertStamp(stamp)}.sqlite`);

/** Stamps of the complete backups in a directory, oldest first (a `.partial` is not a backup). */
export function stampsIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((name) => BACKUP_FILE.exec(name)?.[1] ?? [])
    .sort(compareStamps);
}

/** Tenant ids that have a backup directory (including organisations since purged). */
export function tenantIdsWithBackups(backupDir: string): string[] {
  const root = tenantBackupsRoot(backupDir);
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((name) => /^t[a-z2-7]{24}$/.test(name));
}

/** Backups hold every organisation's data: only the server's user may enter (0700), even if the directory existed. */
export function privateDir(dir: string) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Makes a rename in `dir` durable: without it a power cut can forget the new name. */
export function fsyncDir(dir: string) {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
