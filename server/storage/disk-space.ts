import { statSync, statfsSync } from "node:fs";
import { dirname } from "node:path";

export interface DiskSpace {
  /** Bytes an unprivileged process may still write (statfs bavail). */
  freeBytes: number;
  totalBytes: number;
  freePercent: number;
}

/**
 * statfs of the filesystem holding `dir`. Synchronous on purpose: it is one syscall, only called
 * before large writes and while storage is full, and a caller gets its answer before its write.
 */
export function diskSpace(dir: string): DiskSpace {
  const s = statfsSync(dir);
  const freeBytes = s.bavail * s.bsize;
  const totalBytes = s.blocks * s.bsize;
  return { freeBytes, totalBytes, freePercent: totalBytes > 0 ? (100 * freeBytes) / totalBytes : 100 };
}

/** The device of `path`, or of its nearest existing parent (a backup directory may not exist yet). */
function deviceOf(path: string): number {
  for (let p = path; ; p = dirname(p)) {
    try {
      return statSync(p).dev;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || dirname(p) === p) throw error;
    }
  }
}

/** Whether writing under `path` takes space from the filesystem that holds `dataDir`. */
export function onSameFilesystem(path: string, dataDir: string) {
  return deviceOf(path) === deviceOf(dataDir);
}

/**
 * Whether a large write into `target` must be refused up front: it lands on DATA_DIR's filesystem
 * and that one has less than `watermarkPercent` free. A target on another disk is not our concern.
 */
export function underWatermark(target: string, dataDir: string, watermarkPercent: number) {
  if (target !== dataDir && !onSameFilesystem(target, dataDir)) return false;
  return diskSpace(dataDir).freePercent < watermarkPercent;
}
