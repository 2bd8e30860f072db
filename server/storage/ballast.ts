import { open, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";

/** The ballast's name in DATA_DIR; nothing else uses it, and backups copy named databases only. */
export const BALLAST_NAME = ".disk-ballast";

const CHUNK = Buffer.alloc(1024 * 1024);

export function ballastPath(dataDir: string) {
  return join(dataDir, BALLAST_NAME);
}

/** Bytes of real blocks the ballast holds now (0 when absent); a sparse file would hold none. */
export async function ballastBytes(dataDir: string): Promise<number> {
  try {
    const s = await stat(ballastPath(dataDir));
    return Math.min(s.size, s.blocks * 512);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
}

/**
 * Writes `bytes` of zeros (real blocks: a sparse file or ftruncate would reserve nothing) to a
 * temporary name, syncs it, then renames it into place, so a half-written ballast never looks whole.
 * Returns false, leaving nothing behind, when the disk has no room for it.
 */
export async function createBallast(dataDir: string, bytes: number): Promise<boolean> {
  const path = ballastPath(dataDir);
  const tmp = `${path}.tmp`;
  const file = await open(tmp, "w", 0o600);
  try {
    for (let written = 0; written < bytes;) {
      const n = Math.min(CHUNK.length, bytes - written);
      const { bytesWritten } = await file.write(CHUNK, 0, n);
      written += bytesWritten;
    }
    await file.datasync();
  } catch (error) {
    await file.close();
    await unlink(tmp).catch(() => {});
    if ((error as NodeJS.ErrnoException).code === "ENOSPC" || (error as NodeJS.ErrnoException).code === "EDQUOT") return false;
    throw error;
  }
  await file.close();
  await rename(tmp, path);
  return true;
}

/** Deletes the ballast; returns the bytes it gave back. */
export async function releaseBallast(dataDir: string): Promise<number> {
  const bytes = await ballastBytes(dataDir);
  await unlink(ballastPath(dataDir)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
  return bytes;
}
