import { createHash } from "node:crypto";
import { closeSync, createReadStream, existsSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { fsyncDir } from "./layout";

/**
 * Pages per backup step (4 MiB at SQLite's default 4 KiB page): between steps the event loop
 * serves requests, so a large file does not stall the server.
 */
const STEP_PAGES = 1024;
const ALL_PAGES = 0x7fffffff;

/**
 * Copies a database with SQLite's online backup API (never by copying the file, which could catch
 * a half-written page or miss the WAL). Each step reads from a fresh read transaction; when another
 * connection writes between steps SQLite restarts the copy from page 1, which under a steady writer
 * could go on for ever. So after the first restart the rest is copied in one step, under one read
 * transaction: in WAL mode that snapshot never blocks the writers, it only holds the event loop for
 * the length of the copy. Either way the result is one consistent state of the source.
 */
async function copyPages(source: Database.Database, dest: string) {
  let previous = Infinity;
  await source.backup(dest, {
    progress: ({ remainingPages }) => {
      const stalled = remainingPages >= previous;
      previous = remainingPages;
      return stalled ? ALL_PAGES : STEP_PAGES;
    },
  });
}

export interface FileFacts {
  bytes: number;
  sha256: string;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * An online, consistent copy of the live database `source` at `dest`, written as `dest.partial`
 * and renamed only when complete, so a crash never leaves a half backup under a backup's name.
 * The source is opened read-only on its own connection; the server keeps reading and writing.
 * The copy is switched to rollback-journal mode: one self-contained 0600 file, no -wal beside it.
 */
export async function snapshotDatabase(source: string, dest: string): Promise<FileFacts> {
  if (existsSync(dest)) throw new Error(`${dest} already exists`);
  const partial = `${dest}.partial`;
  rmSync(partial, { force: true });
  // Created empty first so the file is 0600 from its first byte; SQLite gives its journal the same mode.
  closeSync(openSync(partial, "wx", 0o600));
  try {
    const db = new Database(source, { readonly: true, fileMustExist: true });
    try {
      db.pragma("busy_timeout = 5000");
      await copyPages(db, partial);
    } finally {
      db.close();
    }
    const out = new Database(partial, { fileMustExist: true });
    try {
      out.pragma("journal_mode = DELETE");
    } finally {
      out.close();
    }
    renameSync(partial, dest);
  } catch (error) {
    rmSync(partial, { force: true });
    rmSync(`${partial}-journal`, { force: true });
    throw error;
  }
  fsyncDir(dirname(dest));
  return { bytes: statSync(dest).size, sha256: await sha256File(dest) };
}

/** The busy answer better-sqlite3 reads as "done": see writeIntoLive. */
const BUSY_RETRIES = 20;

/**
 * Writes the backup `from` into the database at `live` through SQLite (the backup API in the other
 * direction): the destination's write lock is held from the first page to the commit, so every
 * other connection, in this process or another, sees either the old database or the restored one,
 * never a mix, and its schema cache is reset (the copy bumps the schema cookie).
 *
 * better-sqlite3 (12.x) treats SQLITE_BUSY on the first step like success: sqlite3_backup_remaining
 * is still 0 then, so the promise resolves with 0 pages copied and nothing written, which is how a
 * restore under write load once reported success and restored nothing (issue 29). So the result is
 * checked: a busy step is retried after a pause, and anything but every page of the source copied
 * is thrown. The caller takes the organisation out of service first, so a busy step is rare.
 */
export async function writeIntoLive(from: string, live: string, busyRetries = BUSY_RETRIES): Promise<{ pages: number }> {
  const source = new Database(from, { readonly: true, fileMustExist: true });
  try {
    const pages = source.pragma("page_count", { simple: true }) as number;
    for (let attempt = 0; ; attempt++) {
      // The source cannot change, so there is nothing to gain from small steps; the destination stays
      // locked throughout anyway.
      const done = await source.backup(live, { progress: () => ALL_PAGES });
      if (done.totalPages === pages && done.remainingPages === 0) return { pages };
      if (done.totalPages !== 0)
        throw new Error(`the copy into ${live} stopped at ${done.totalPages - done.remainingPages} of ${pages} pages`);
      if (attempt >= busyRetries)
        throw new Error(`${live} stayed locked by another writer through ${busyRetries + 1} attempts; nothing was copied`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 * 2 ** attempt)));
    }
  } finally {
    source.close();
  }
}

export function integrityCheck(path: string): string {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma("integrity_check") as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join("; ");
  } finally {
    db.close();
  }
}

/** Blob names an organisation's database refers to (none when the file predates attachments). */
export function referencedBlobs(path: string): string[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const table = db.prepare("select 1 from sqlite_master where type = 'table' and name = 'attachments'").get();
    if (!table) return [];
    return db.prepare("select blob_name from attachments").pluck().all() as string[];
  } finally {
    db.close();
  }
}

/**
 * Removes a database's WAL, shared-memory and journal files before another file is renamed into its
 * place: SQLite would replay a stale WAL onto the new file and corrupt it.
 */
export function removeSidecars(path: string) {
  for (const suffix of ["-wal", "-shm", "-journal"]) rmSync(path + suffix, { force: true });
}
