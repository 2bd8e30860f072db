import { randomBytes } from "node:crypto";
import { closeSync, lstatSync, openSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

/**
 * A backup run older than this without a sign of life (the lock's mtime, refreshed as the run goes)
 * is taken to have died: its lock may be taken over. A live run refreshes it after every database.
 */
export const STALE_LOCK_MS = 6 * 3_600_000;

export class BackupLockedError extends Error {
  override name = "BackupLockedError";
}

export interface BackupLock {
  path: string;
  /** Marks the run as alive, so a long run is never mistaken for a dead one. */
  refresh(): void;
  release(): void;
}

export const backupLockPath = (backupDir: string) => join(backupDir, "backup.lock");

function describeHolder(path: string) {
  try {
    const holder = JSON.parse(readFileSync(path, "utf8")) as { pid?: number; host?: string; at?: string };
    return `by process ${holder.pid ?? "?"} on ${holder.host ?? "?"} at ${holder.at ?? "?"}`;
  } catch {
    return `at ${statSync(path, { throwIfNoEntry: false })?.mtime.toISOString() ?? "?"}`;
  }
}

/**
 * A lock written on this host by a process that no longer exists (a crash, a killed server) need not
 * wait out STALE_LOCK_MS. A reused pid only makes a dead run look alive, which the age still ends.
 */
function holderIsGone(path: string) {
  try {
    const holder = JSON.parse(readFileSync(path, "utf8")) as { pid?: unknown; host?: unknown };
    if (holder.host !== hostname() || typeof holder.pid !== "number") return false;
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function create(path: string, token: string) {
  const fd = openSync(path, "wx", 0o600);
  try {
    writeSync(fd, `${JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString(), token })}\n`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Moves a dead run's lock out of the way. The rename is atomic, and the inode check notices when
 * another process took the lock over between our stat and our rename: then its fresh lock is put back.
 */
function removeStale(path: string, ino: number) {
  const aside = `${path}.stale-${randomBytes(4).toString("hex")}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (lstatSync(aside).ino === ino) rmSync(aside, { force: true });
  else renameSync(aside, path);
}

/**
 * One backup run at a time per BACKUP_DIR, across processes (the scheduler in the server and a CLI
 * run do not share the scheduler's in-process guard): a second run's rotation could prune blobs the
 * first has just relied on and delete its temporary files. O_EXCL makes the claim atomic.
 */
export function acquireBackupLock(backupDir: string): BackupLock {
  const path = backupLockPath(backupDir);
  const token = randomBytes(8).toString("hex");
  for (let attempt = 0; ; attempt++) {
    try {
      create(path, token);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const held = statSync(path, { throwIfNoEntry: false });
    // Wall-clock time, not the services' clock: the lock's age is compared with the file system's mtime.
    const alive = held !== undefined && Date.now() - held.mtimeMs < STALE_LOCK_MS && !holderIsGone(path);
    if (attempt > 2 || (held && (alive || attempt > 0))) {
      throw new BackupLockedError(
        `another backup is running: ${path} was taken ${describeHolder(path)}. If no backup is running (the process died), delete that file; it is taken over anyway once it is ${STALE_LOCK_MS / 3_600_000} hours old.`,
      );
    }
    if (held) removeStale(path, held.ino);
  }
  const ours = () => {
    try {
      return (JSON.parse(readFileSync(path, "utf8")) as { token?: string }).token === token;
    } catch {
      return false;
    }
  };
  return {
    path,
    refresh() {
      const t = new Date();
      if (ours()) utimesSync(path, t, t);
    },
    release() {
      if (ours()) rmSync(path, { force: true });
    },
  };
}
