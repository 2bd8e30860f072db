import {
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { Migration } from "kysely";
import type { ControlDb } from "../../db/control/open";
import type { TenantPool } from "../../db/pool";
import { MigrationError, migrateFile } from "../../db/migrate";
import { destroyHandle, kyselyFor, openSqlite } from "../../db/sqlite";
import { tenantMigrations } from "../../db/tenant/migrations";
import { tenantFilePath, tenantsDir } from "../../db/tenant/paths";
import type { TenantDB } from "../../db/tenant/schema";
import type { Config } from "../config";
import { assertBackupKeysLoaded, configuredKeyIds } from "../crypto/master-key-ring";
import { blobDir } from "../files/storage";
import { DataDirInUseError, describeRunningServer, holdDataDir, type DataDirLock } from "../process/data-dir-lock";
import { compactFile } from "../privacy/compaction";
import { reapplyDeletions } from "../privacy/erase-member";
import { backedUpTenants, readManifest } from "./backup";
import { copyMissingBlobs } from "./blobs";
import {
  assertStamp,
  blobBackupDir,
  controlBackupDir,
  controlBackupPath,
  fsyncDir,
  stampsIn,
  stampTime,
  tenantBackupDir,
  tenantBackupPath,
} from "./layout";
import { contentDigest, digestDifference, type ContentDigest } from "./content-digest";
import { integrityCheck, referencedBlobs, removeSidecars, sha256File, writeIntoLive } from "./sqlite-copy";

/**
 * Why a restore was refused, before anything was changed. "live" is the only one a flag (force)
 * overrides; the CLI maps it to exit 73. "unverified": no manifest vouches for the file's sha256;
 * "migration": the backup cannot be brought to this version's schema.
 */
export type RestoreRefusal =
  | "live"
  | "purged"
  | "unknown"
  | "no-backup"
  | "damaged"
  | "unverified"
  | "migration"
  /** A server runs on DATA_DIR and the restore cannot be done under it (restore --all), or it would not take the organisation out of service. */
  | "server-running"
  /** The copy into the live file did not complete, or the live file does not hold what was staged afterwards. */
  | "not-restored";

export class RestoreError extends Error {
  override name = "RestoreError";
  constructor(
    message: string,
    readonly reason: RestoreRefusal,
  ) {
    super(message);
  }
}

export interface RestoreOptions {
  /** Which backup (default: the newest). */
  stamp?: string;
  /** Overwrite live files. Without it a restore only fills in files that are missing. */
  force?: boolean;
  /** The organisation schema to migrate the backup to (default: this version's); tests pass their own. */
  migrations?: Record<string, Migration>;
  /** How often a copy that finds the live file locked is tried again (default 20, about 16 s); tests pass fewer. */
  busyRetries?: number;
}

export interface RestoreDeps {
  config: Config;
  control: ControlDb;
  /** The process's tenant pool, if any: the organisation is out of service in it while its file is replaced. */
  pool?: Pick<TenantPool, "takeOutOfService" | "returnToService">;
  /**
   * Takes the organisation out of service in the server running on DATA_DIR (another process), if
   * one runs; resolves to what puts it back. The CLI passes one built on control-socket.ts.
   */
  outOfService?: (tenant: { id: string; slug: string }) => Promise<() => Promise<void>>;
}

export interface TenantRestore {
  tenantId: string;
  slug: string;
  stamp: string;
  /** true: the live database was overwritten in place; false: it was missing and was put back. */
  replaced: boolean;
  bytes: number;
  blobsRestored: number;
  blobsMissing: number;
  /** Pseudonyms of members who deleted their accounts after the backup, erased from the file again. */
  deletionsReapplied: string[];
  /** No owner is left after those deletions (the backup predates an ownership change). */
  ownerless: boolean;
  /** What was checked after the copy: pages written and the tables whose counts and checksums match the staged file. */
  verified: { pages: number; tables: number; rows: number };
}

/**
 * Refuses a backup file that is not what its run wrote (sha256 in the manifest) or is not a sound
 * database. Without a manifest entry there is nothing to compare with: integrity_check alone passes
 * a well-formed file that was altered or swapped, so that is refused too rather than trusted.
 */
async function verifyBackup(path: string, backupDir: string, stamp: string, relative: string) {
  const expected = readManifest(backupDir, stamp);
  if (!expected) {
    throw new RestoreError(
      `backup ${relative} cannot be verified: there is no manifest for ${stamp} (or it is unreadable), so its sha256 cannot be checked; pick another with --from`,
      "unverified",
    );
  }
  const listed = relative.startsWith("control/") ? expected.control : expected.tenants.find((t) => t.file === relative);
  if (!listed) {
    throw new RestoreError(
      `backup ${relative} cannot be verified: the manifest of ${stamp} does not list it, so its sha256 cannot be checked; pick another with --from`,
      "unverified",
    );
  }
  if (listed.sha256 !== (await sha256File(path))) {
    throw new RestoreError(`backup ${relative} does not match its manifest (sha256 differs); pick another with --from`, "damaged");
  }
  const check = integrityCheck(path);
  if (check !== "ok") throw new RestoreError(`backup ${relative} fails integrity_check: ${check.slice(0, 200)}`, "damaged");
}

/**
 * Puts a copy of a (closed, self-contained) backup file where no live database is open, as
 * `<to>.restore-partial` then a rename: the name `to` only ever holds a whole file. Call
 * `commitPlaced` to make it live; the WAL and shared memory of the file it replaces go first.
 */
function stageCopy(from: string, to: string) {
  const partial = `${to}.restore-partial`;
  // A crashed restore's WAL would be replayed onto the new copy.
  discardStaged(partial);
  copyFileSync(from, partial, constants.COPYFILE_EXCL);
  chmodSync(partial, 0o600);
  const fd = openSync(partial, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return partial;
}

function commitPlaced(partial: string, to: string) {
  removeSidecars(to);
  renameSync(partial, to);
  fsyncDir(dirname(to));
}

function discardStaged(partial: string) {
  rmSync(partial, { force: true });
  removeSidecars(partial);
}

async function restoreBlobs(config: Config, tenantId: string, file: string) {
  const names = referencedBlobs(file);
  if (!names.length) return { copied: 0, missing: [] as string[] };
  return copyMissingBlobs(names, blobBackupDir(config.backupDir, tenantId), blobDir(config.dataDir, tenantId));
}

/**
 * Brings a staged copy to what the live file must hold: this version's schema, the account
 * deletions made since the backup applied again, and a clean integrity_check. Done on the private
 * copy so a failure at any step never reaches the live database, and the live file (and its WAL)
 * never holds, even for a moment, the personal data of members who deleted their account.
 */
async function prepareStaged(
  deps: RestoreDeps,
  staged: string,
  tenant: { id: string; slug: string },
  stamp: string,
  migrations: Record<string, Migration>,
) {
  try {
    await migrateFile(staged, deps.config.synchronous, migrations, `backup ${stamp} of ${tenant.slug}`);
  } catch (error) {
    if (!(error instanceof MigrationError)) throw error;
    throw new RestoreError(`${error.message}. The live database was not changed.`, "migration");
  }
  const erased = await forgetDeletedMembers(deps.control, staged, deps.config, tenant);
  const check = integrityCheck(staged);
  if (check !== "ok")
    throw new RestoreError(
      `backup ${stamp} of ${tenant.slug} fails integrity_check once migrated: ${check.slice(0, 200)}. The live database was not changed.`,
      "damaged",
    );
  return erased;
}

/**
 * Restores one organisation's file from a backup. The control DB (its row, memberships, data key)
 * is left as it is, so an organisation whose key was destroyed (purged) is refused: its file would
 * be readable but its encrypted fields and attachments never again.
 *
 * The backup is first copied to a private staged file beside the live one, and migrated, cleared
 * of deleted accounts and checked there (prepareStaged). Only then does it reach the live file: a
 * live file is refused unless `force`. For the copy itself the organisation is taken out of service
 * (here and in the server running on DATA_DIR, see outOfService), then the staged copy is written
 * INTO the live database with SQLite's backup API (sqlite-copy.ts writeIntoLive), so a process that
 * still has the file open (a backup reading it) sees the old database or the restored one, never a
 * mix; a missing file is put back by renaming the staged copy. Success is reported only once the
 * live file, read afresh, holds every page, row count and table checksum of the staged copy.
 * Any failure removes the staged copy and puts the organisation back in service.
 */
export async function restoreTenant(deps: RestoreDeps, tenantIdOrSlug: string, options: RestoreOptions = {}): Promise<TenantRestore> {
  const { config } = deps;
  const row = await deps.control
    .selectFrom("tenants")
    .select(["id", "slug", "status"])
    .where((eb) => eb.or([eb("slug", "=", tenantIdOrSlug), eb("id", "=", tenantIdOrSlug)]))
    .executeTakeFirst();
  if (!row || row.status === "provisioning") throw new RestoreError(`no organisation "${tenantIdOrSlug.slice(0, 80)}"`, "unknown");
  // "purging": a purge began (key destroyed or about to be) and a backup postponed its end; the
  // next purge run finishes it, so a restored file would be unreadable and then deleted again.
  if (row.status === "purged" || row.status === "purging") {
    throw new RestoreError(
      `${row.slug} was ${row.status === "purging" ? "being purged (the next purge run finishes it)" : "purged"}: its data key is destroyed, so its encrypted fields and attachments cannot be read from any backup. It cannot be restored.`,
      "purged",
    );
  }
  const stamps = stampsIn(tenantBackupDir(config.backupDir, row.id));
  const stamp = options.stamp ? assertStamp(options.stamp) : stamps.at(-1);
  if (!stamp || !stamps.includes(stamp)) {
    throw new RestoreError(stamp ? `no backup of ${row.slug} at ${stamp}` : `no backup of ${row.slug} in ${config.backupDir}`, "no-backup");
  }
  const from = tenantBackupPath(config.backupDir, row.id, stamp);
  await verifyBackup(from, config.backupDir, stamp, `tenants/${row.id}/${stamp}.sqlite`);

  const live = tenantFilePath(config.dataDir, row.id);
  const replaced = existsSync(live);
  if (replaced && !options.force) {
    throw new RestoreError(
      `${row.slug} has a live database (${live}); restoring would overwrite it. Add --force to replace its contents with the backup of ${stamp}.`,
      "live",
    );
  }
  mkdirSync(tenantsDir(config.dataDir), { recursive: true });
  const staged = stageCopy(from, live);
  let erased: Awaited<ReturnType<typeof forgetDeletedMembers>>;
  let blobs: Awaited<ReturnType<typeof restoreBlobs>>;
  let verified: TenantRestore["verified"];
  try {
    erased = await prepareStaged(deps, staged, row, stamp, options.migrations ?? tenantMigrations);
    // Blobs first: a live row never points at a blob still being copied, which the files sweep
    // (server/files/sweep.ts) would take for a row whose blob is lost.
    blobs = await restoreBlobs(config, row.id, staged);
    const expected = contentDigest(staged);
    const backInService = await outOfService(deps, row);
    try {
      if (existsSync(live)) await copyInto(staged, live, row.slug, options.busyRetries);
      else commitPlaced(staged, live);
      verified = verifyLive(live, expected, row.slug, stamp);
    } finally {
      await backInService();
    }
  } finally {
    discardStaged(staged);
  }
  const { deletionsReapplied, ownerless } = erased;
  return {
    tenantId: row.id,
    slug: row.slug,
    stamp,
    replaced,
    bytes: statSync(live).size,
    blobsRestored: blobs.copied,
    blobsMissing: blobs.missing.length,
    deletionsReapplied,
    ownerless,
    verified,
  };
}

/**
 * Nobody may write into the file while it is replaced, nor keep a handle that would go on
 * answering from what it held before: the organisation is taken out of service in this process's
 * pool and in the server running on DATA_DIR (both close their handle once the requests holding it
 * finish; new requests answer 503 meanwhile). Taken only for the copy itself, after the slow
 * preparation of the staged file, so the organisation is out for seconds, not minutes.
 */
async function outOfService(deps: RestoreDeps, tenant: { id: string; slug: string }) {
  const local = deps.pool;
  await local?.takeOutOfService(tenant.id, "being restored");
  let remote: (() => Promise<void>) | null = null;
  try {
    remote = (await deps.outOfService?.(tenant)) ?? null;
  } catch (error) {
    local?.returnToService(tenant.id);
    throw error;
  }
  return async () => {
    local?.returnToService(tenant.id);
    await remote?.();
  };
}

async function copyInto(staged: string, live: string, slug: string, busyRetries?: number) {
  try {
    await writeIntoLive(staged, live, busyRetries);
  } catch (error) {
    throw new RestoreError(`${slug} was not restored: ${(error as Error).message}. The live database was not changed.`, "not-restored");
  }
}

/** The live file, read afresh, must hold exactly what was staged: otherwise the restore did not happen, whatever the copy said. */
function verifyLive(live: string, expected: ContentDigest, slug: string, stamp: string) {
  const difference = digestDifference(expected, contentDigest(live));
  if (difference) {
    throw new RestoreError(
      `${slug} was not restored from ${stamp}: after the copy ${difference}. Run the restore again; the organisation is back in service.`,
      "not-restored",
    );
  }
  return {
    pages: expected.pages,
    tables: expected.tables.length,
    rows: expected.tables.reduce((n, t) => n + t.rows, 0),
  };
}

/** A backup predates the account deletions made since: they are applied to the restored file again. */
async function forgetDeletedMembers(control: ControlDb, file: string, config: Config, tenant: { slug: string }) {
  const db = kyselyFor<TenantDB>(openSqlite(file, { synchronous: config.synchronous, mustExist: true }));
  try {
    const deletionsReapplied = await reapplyDeletions(control, db, { name: tenant.slug, slug: tenant.slug }, Date.now());
    // An operator's command, not a request: the restored file is rebuilt at once, so no old page keeps them.
    if (deletionsReapplied.length) await compactFile(db);
    const owner = await db.selectFrom("members").select("user_id").where("role", "=", "owner").executeTakeFirst();
    return { deletionsReapplied, ownerless: !owner };
  } finally {
    await destroyHandle(db);
  }
}

export interface FullRestore {
  stamp: string;
  tenants: { tenantId: string; slug: string }[];
  /** Organisations the control backup knows (active or closed) without a file in that backup. */
  missing: { tenantId: string; slug: string }[];
  replaced: number;
  bytes: number;
  blobsRestored: number;
  blobsMissing: number;
}

/**
 * Disaster recovery, with the server stopped: replaces control.sqlite and every organisation file
 * of one backup (default the newest with a control DB). Refuses if any of those files is live unless
 * `force`. Every backup is verified first and staged beside its target, then the targets are
 * swapped in by rename (stale -wal/-shm removed first), so no file is ever half-written. Live
 * organisation files that the backup does not know are left alone.
 *
 * The control DB holds the data keys wrapped by the master key in use when the backup was taken:
 * that key must be in the configured ring (current or previous), or the restore is refused naming it.
 */
export async function restoreAll(config: Config, options: RestoreOptions = {}): Promise<FullRestore> {
  // Held, not just checked, for the whole run: a server started meanwhile (a supervisor's restart)
  // would open the files being replaced and answer from them; it is refused by this lock instead.
  let lock: DataDirLock;
  try {
    lock = holdDataDir(config.dataDir, { command: "restore --all" });
  } catch (error) {
    if (!(error instanceof DataDirInUseError)) throw error;
    throw new RestoreError(
      `restore --all replaces the control DB and every organisation file, which ${describeRunningServer(error.server)} holds open: it would go on answering from the replaced files and every write made after would be lost. Stop the server, then run the restore again. Nothing was changed.`,
      "server-running",
    );
  }
  try {
    return await restoreAllHeld(config, options);
  } finally {
    lock.release();
  }
}

async function restoreAllHeld(config: Config, options: RestoreOptions): Promise<FullRestore> {
  const stamps = stampsIn(controlBackupDir(config.backupDir));
  const stamp = options.stamp ? assertStamp(options.stamp) : stamps.at(-1);
  if (!stamp || !stamps.includes(stamp)) {
    throw new RestoreError(
      stamp ? `no control backup at ${stamp} (restore --list shows the backups)` : `no backup in ${config.backupDir}`,
      "no-backup",
    );
  }
  const controlFrom = controlBackupPath(config.backupDir, stamp);
  await verifyBackup(controlFrom, config.backupDir, stamp, `control/${stamp}.sqlite`);
  // Its data keys may be wrapped by a master key since rotated away: name it now, before any file is replaced.
  assertBackupKeysLoaded(controlFrom, configuredKeyIds(config), `control/${stamp}.sqlite`);
  const known = backedUpTenants(controlFrom);
  const tenants = known.filter((t) => existsSync(tenantBackupPath(config.backupDir, t.id, stamp)));
  const missing = known.filter((t) => !tenants.includes(t));
  for (const t of tenants)
    await verifyBackup(tenantBackupPath(config.backupDir, t.id, stamp), config.backupDir, stamp, `tenants/${t.id}/${stamp}.sqlite`);

  const controlLive = join(config.dataDir, "control.sqlite");
  const targets = [
    ...tenants.map((t) => ({ from: tenantBackupPath(config.backupDir, t.id, stamp), to: tenantFilePath(config.dataDir, t.id) })),
    // Last: until it is swapped in, the old control DB still describes the old files.
    { from: controlFrom, to: controlLive },
  ];
  const live = targets.filter((t) => existsSync(t.to));
  if (live.length && !options.force) {
    throw new RestoreError(
      `${live.length} live database file${live.length === 1 ? "" : "s"} would be overwritten (${live[0]!.to}${live.length > 1 ? ", ..." : ""}). Stop the server and add --force to replace them with the backup of ${stamp}.`,
      "live",
    );
  }
  mkdirSync(tenantsDir(config.dataDir), { recursive: true });
  const staged: { partial: string; to: string }[] = [];
  try {
    for (const t of targets) staged.push({ partial: stageCopy(t.from, t.to), to: t.to });
  } catch (error) {
    for (const s of staged) rmSync(s.partial, { force: true });
    throw error;
  }
  for (const s of staged) commitPlaced(s.partial, s.to);

  let blobsRestored = 0;
  let blobsMissing = 0;
  for (const t of tenants) {
    const blobs = await restoreBlobs(config, t.id, tenantFilePath(config.dataDir, t.id));
    blobsRestored += blobs.copied;
    blobsMissing += blobs.missing.length;
  }
  const bytes = targets.reduce((n, t) => n + statSync(t.to).size, 0);
  return {
    stamp,
    tenants: tenants.map((t) => ({ tenantId: t.id, slug: t.slug })),
    missing: missing.map((t) => ({ tenantId: t.id, slug: t.slug })),
    replaced: live.length,
    bytes,
    blobsRestored,
    blobsMissing,
  };
}

export interface BackupListing {
  stamp: string;
  at: Date;
  bytes: number;
  /** For control backups: how many organisations that run copied (from its manifest). */
  tenants: number | null;
}

/** The backups `restore --all` (no tenant) or `restore --org` (a tenant id) can use, oldest first. */
export function listBackups(config: Config, tenantId?: string): BackupListing[] {
  const dir = tenantId ? tenantBackupDir(config.backupDir, tenantId) : controlBackupDir(config.backupDir);
  return stampsIn(dir).map((stamp) => ({
    stamp,
    at: new Date(stampTime(stamp)),
    bytes: statSync(join(dir, `${stamp}.sqlite`)).size,
    tenants: tenantId ? null : (readManifest(config.backupDir, stamp)?.tenants.length ?? null),
  }));
}
