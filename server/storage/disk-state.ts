import { unlinkSync } from "node:fs";
import { ballastBytes, ballastPath, createBallast } from "./ballast";
import { diskSpace, onSameFilesystem, type DiskSpace } from "./disk-space";
import { isStorageFull, originalError, StorageFullError } from "./storage-full";

const MiB = 1024 * 1024;

export interface DiskStateOptions {
  dataDir: string;
  /** DISK_BALLAST_MB in bytes; 0 keeps no ballast. */
  ballastBytes: number;
  /** DISK_WATERMARK_PERCENT: under this share of free space, large writes are refused up front. */
  watermarkPercent: number;
  log: (line: string) => void;
  now: () => number;
  /** Tells the operators that storage filled; called once per episode, its failure only logged. */
  notify: (summary: string) => Promise<void>;
}

export interface DiskStatus {
  /** "full": a write failed for lack of space and room has not come back; "low": under the watermark. */
  storage: "ok" | "low" | "full";
  freeBytes: number;
  freePercent: number;
  watermarkPercent: number;
  /** When the current episode started (ms since the epoch), or null. */
  fullSince: number | null;
}

const formatMb = (bytes: number) => `${(bytes / MiB).toFixed(1)} MB`;

/**
 * The ballast takes at most this share of DATA_DIR's filesystem. A DISK_BALLAST_MB close to the
 * disk's size (the 64 MB default on a small volume) could never be written, leaving no room for
 * logins, and the episode would wait for free space the disk cannot have, so it never ended.
 */
const BALLAST_MAX_SHARE = 1 / 8;

/**
 * Disk full is a state of the server, not an error of one request.
 *
 * - At start, a ballast file of real blocks is written in DATA_DIR while there is room.
 * - The first write that fails with SQLITE_FULL/ENOSPC starts an episode: the ballast is deleted at
 *   once, so the room it held lets people log in and make small writes; the operators are emailed
 *   once; /readyz answers 503.
 * - During the episode ordinary writes go on while more than half the ballast's room is left, then
 *   are refused up front, so the last half stays for sessions (login and logout are never refused).
 *   The ballast is released only on a real failure, not at the watermark: released earlier, ordinary
 *   writes would eat the room kept for logins before the disk was even full.
 * - Large writes (uploads, exports, imports, backups onto this filesystem) are refused up front
 *   whenever free space is under the watermark or an episode is on, while small writes continue.
 * - Every check during an episode re-reads statfs; once the free space, minus a new ballast, is back
 *   over the watermark, the episode ends and the ballast is written again, without a restart.
 */
export class DiskState {
  readonly #o: DiskStateOptions;
  #fullSince: number | null = null;
  #low = false;
  /** A ballast being written (at start or after an episode); awaited by settled(). */
  #writing: Promise<void> = Promise.resolve();

  constructor(options: DiskStateOptions) {
    this.#o = options;
  }

  get full() {
    return this.#fullSince !== null;
  }

  get dataDir() {
    return this.#o.dataDir;
  }

  #ballastCap: number | null = null;

  /** DISK_BALLAST_MB, capped at BALLAST_MAX_SHARE of the filesystem (read once: its size does not change). */
  get #ballastBytes() {
    if (this.#ballastCap === null) {
      const space = this.#space();
      if (!space) return this.#o.ballastBytes;
      this.#ballastCap = Math.floor(space.totalBytes * BALLAST_MAX_SHARE);
    }
    return Math.min(this.#o.ballastBytes, this.#ballastCap);
  }

  /** Room kept for sessions during an episode: half the ballast, at least 1 MB. */
  get #reserveBytes() {
    return Math.max(this.#ballastBytes / 2, MiB);
  }

  /** Writes the ballast if it is missing and there is room for it above the watermark; never rejects. */
  prepare(): Promise<void> {
    this.#writing = this.#writing
      .then(() => this.#writeBallast())
      .catch((error: unknown) => this.#o.log(`[storage] ballast not written: ${(error as Error).message}`));
    return this.#writing;
  }

  /** Resolves when no ballast is being written. */
  settled(): Promise<void> {
    return this.#writing;
  }

  async #writeBallast() {
    const wanted = this.#ballastBytes;
    if (wanted <= 0 || this.full) return;
    const have = await ballastBytes(this.#o.dataDir);
    if (have >= wanted) return;
    const space = diskSpace(this.#o.dataDir);
    const watermarkBytes = (space.totalBytes * this.#o.watermarkPercent) / 100;
    if (space.freeBytes + have - wanted < watermarkBytes) {
      this.#o.log(
        `[storage] no room for the ${formatMb(wanted)} ballast in ${this.#o.dataDir} (${formatMb(space.freeBytes)} free); not created`,
      );
      return;
    }
    if (await createBallast(this.#o.dataDir, wanted))
      this.#o.log(`[storage] ballast of ${formatMb(wanted)} in place at ${ballastPath(this.#o.dataDir)}`);
  }

  /**
   * Looks at an error that made a request (or job) fail; when it says storage is full, starts an
   * episode unless one is on. Returns whether it was a storage-full error. Our own refusals
   * (a StorageFullError with no cause) are verdicts, not observations, and start nothing.
   */
  noteError(error: unknown): boolean {
    if (!isStorageFull(error)) return false;
    const original = originalError(error);
    if (original instanceof StorageFullError) return true;
    if (this.full) return true;
    this.#fullSince = this.#o.now();
    let released = 0;
    try {
      released = this.#o.ballastBytes > 0 ? this.#releaseBallastNow() : 0;
    } catch (releaseError) {
      this.#o.log(`[storage] could not delete the ballast: ${(releaseError as Error).message}`);
    }
    const space = this.#space();
    const why = original instanceof Error ? (original.stack ?? original.message) : String(original);
    const summary =
      `Storage is full in ${this.#o.dataDir}: a write failed (${(original as { code?: string }).code ?? "no code"}). ` +
      `${released ? `The ${formatMb(released)} ballast was deleted to keep room for logins. ` : "No ballast was in place. "}` +
      `Free now: ${space ? `${formatMb(space.freeBytes)} (${space.freePercent.toFixed(1)} %)` : "unknown"}. ` +
      "Writes are refused with 507 until space is freed; the server recovers by itself once it is.";
    this.#o.log(`[storage] FULL: ${summary}\n[storage] the write that failed: ${why}`);
    this.#o
      .notify(summary)
      .catch((mailError: unknown) => this.#o.log(`[storage] could not email the operators: ${(mailError as Error).message}`));
    return true;
  }

  #releaseBallastNow(): number {
    // Synchronous: the request after this one must already find the room.
    const path = ballastPath(this.#o.dataDir);
    try {
      unlinkSync(path);
      return this.#ballastBytes;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
      throw error;
    }
  }

  #space(): DiskSpace | null {
    try {
      return diskSpace(this.#o.dataDir);
    } catch {
      return null;
    }
  }

  /** Re-reads free space; ends the episode when there is room for a new ballast above the watermark. */
  #refresh(): DiskSpace | null {
    const space = this.#space();
    if (!space) return null;
    const watermarkBytes = (space.totalBytes * this.#o.watermarkPercent) / 100;
    if (this.full && space.freeBytes - this.#ballastBytes >= Math.max(watermarkBytes, this.#reserveBytes)) {
      const lasted = this.#o.now() - this.#fullSince!;
      this.#fullSince = null;
      this.#o.log(
        `[storage] room again in ${this.#o.dataDir} (${formatMb(space.freeBytes)} free) after ${Math.round(lasted / 1000)} s; writes accepted`,
      );
      void this.prepare();
    }
    // During an episode the released ballast can lift free space over the watermark; that is
    // not room coming back, so only the episode's end is reported then.
    const low = space.freePercent < this.#o.watermarkPercent;
    if (low !== this.#low && !this.full) {
      this.#low = low;
      this.#o.log(
        low
          ? `[storage] free space ${space.freePercent.toFixed(1)} % is under DISK_WATERMARK_PERCENT=${this.#o.watermarkPercent}; large writes are refused`
          : `[storage] free space ${space.freePercent.toFixed(1)} % is back over the watermark; large writes accepted`,
      );
    }
    return space;
  }

  /** Before an ordinary write: refuses only during an episode, once the room kept for sessions is reached. */
  assertRoomForWrite() {
    if (!this.full) return;
    const space = this.#refresh();
    if (this.full && (!space || space.freeBytes < this.#reserveBytes)) throw new StorageFullError();
  }

  /**
   * Before a large write (an upload, an export, an import, a backup) into `target` (default
   * DATA_DIR): refused during an episode, or when that filesystem is the data's and is under the
   * watermark. A target on another disk is not DATA_DIR's business.
   */
  assertRoomForLargeWrite(target: string = this.#o.dataDir) {
    if (target !== this.#o.dataDir && !onSameFilesystem(target, this.#o.dataDir)) return;
    const space = this.#refresh();
    if (this.full || !space || space.freePercent < this.#o.watermarkPercent) throw new StorageFullError();
  }

  /** For /readyz. */
  status(): DiskStatus {
    const space = this.#refresh();
    const freeBytes = space?.freeBytes ?? 0;
    const freePercent = space?.freePercent ?? 0;
    return {
      storage: this.full ? "full" : freePercent < this.#o.watermarkPercent ? "low" : "ok",
      freeBytes,
      freePercent: Math.round(freePercent * 10) / 10,
      watermarkPercent: this.#o.watermarkPercent,
      fullSince: this.#fullSince,
    };
  }
}
