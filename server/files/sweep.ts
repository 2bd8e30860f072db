import { existsSync } from "node:fs";
import { readdir, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { inTenantTransaction, runInTenant } from "../../db/tenant/context";
import { allAttachmentBlobs, attachmentsWithoutTarget, deleteAttachmentsById, referencedBlobs } from "../../db/tenant/files/attachments";
import { FULL_ACCESS } from "../../db/tenant/visibility";
import { audit } from "../audit/audit";
import type { Services } from "../services";
import { blobDir, BLOB_NAME, TEMP_NAME } from "./storage";

/**
 * A file younger than this is left alone: an upload renames its blob into place a moment before it
 * inserts the row, and writes its temporary file for as long as the body streams in.
 */
export const SWEEP_GRACE_MS = 60 * 60 * 1000;

export interface FileSweep {
  /** Attachment rows whose target or blob was gone, removed; their sizes no longer count against the quota. */
  rows: number;
  rowBytes: number;
  /** Blobs no row refers to, and temporary files of uploads that never finished, removed from disk. */
  blobs: number;
  blobBytes: number;
}

const SYSTEM = { kind: "system", id: "files.sweep", ip: "", userAgent: null } as const;

interface DiskFile {
  name: string;
  bytes: number;
  old: boolean;
}

function tally(rows: readonly { size: number }[], files: readonly DiskFile[]): FileSweep {
  return {
    rows: rows.length,
    rowBytes: rows.reduce((n, r) => n + r.size, 0),
    blobs: files.length,
    blobBytes: files.reduce((n, f) => n + f.bytes, 0),
  };
}

/** The blobs in `dir`, or null when the directory itself is missing. */
async function filesIn(dir: string, now: number): Promise<DiskFile[] | null> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw error;
  });
  if (names === null) return null;
  const files: DiskFile[] = [];
  for (const name of names) {
    if (!BLOB_NAME.test(name) && !TEMP_NAME.test(name)) continue;
    const facts = await stat(join(dir, name)).catch(() => null);
    if (facts?.isFile()) files.push({ name, bytes: facts.size, old: now - facts.mtimeMs > SWEEP_GRACE_MS });
  }
  return files;
}

/**
 * Finds, and unless `dryRun` removes, one organisation's orphans: attachment rows whose task, project
 * or invoice is gone or whose blob is missing (the quota is the sum of the rows, so removing them
 * corrects it), and blobs or stale temporary files no row refers to. Rows are read before the
 * directory, so a blob written meanwhile is young and left alone; each removal is checked again at
 * the moment it is made. The removal of rows is audited as the system.
 */
export async function sweepTenantFiles(
  services: Pick<Services, "pool" | "config">,
  tenantId: string,
  opts: { dryRun: boolean; now?: number },
): Promise<FileSweep> {
  const now = opts.now ?? Date.now();
  const dir = blobDir(services.config.dataDir, tenantId);
  const lease = await services.pool.acquire(tenantId);
  try {
    return await runInTenant({ tenantId, db: lease.db, access: FULL_ACCESS }, async () => {
      const rows = await allAttachmentBlobs();
      const targetless = await attachmentsWithoutTarget();
      // A missing directory (a disk not mounted, a half-restored copy) says nothing about the blobs:
      // only rows whose target is gone are orphans then, never "every blob lost".
      const listed = await filesIn(dir, now);
      const disk = listed ?? [];
      const onDisk = new Set(disk.map((f) => f.name));
      const orphanRows = new Map(targetless.map((r) => [r.id, r]));
      if (listed) for (const r of rows) if (!onDisk.has(r.blob_name)) orphanRows.set(r.id, r);
      const referenced = new Set(rows.map((r) => r.blob_name));
      const unreferenced = disk.filter((f) => f.old && !referenced.has(f.name));
      if (opts.dryRun) {
        const blobsOfRows = new Set([...orphanRows.values()].map((r) => r.blob_name));
        return tally([...orphanRows.values()], [...unreferenced, ...disk.filter((f) => blobsOfRows.has(f.name))]);
      }

      const removedRows = await inTenantTransaction(async () => {
        // Checked again inside the write transaction: only what is still an orphan now goes.
        const stillTargetless = new Set((await attachmentsWithoutTarget()).map((r) => r.id));
        const ids = [...orphanRows.values()]
          .filter((r) => stillTargetless.has(r.id) || (listed !== null && existsSync(dir) && !existsSync(join(dir, r.blob_name))))
          .map((r) => r.id);
        const gone = await deleteAttachmentsById(ids);
        if (gone.length) {
          const bytes = gone.reduce((n, r) => n + r.size, 0);
          await audit(SYSTEM, "file.sweep", null, { rows: gone.length, bytes, files: gone.map((r) => r.id) });
        }
        return gone;
      });
      // The blobs of the rows just removed have no row now either.
      const blobsOfRows = new Set(removedRows.map((r) => r.blob_name));
      const candidates = [...unreferenced, ...disk.filter((f) => blobsOfRows.has(f.name))];
      const stillReferenced = await referencedBlobs(candidates.map((f) => f.name));
      const removedFiles: DiskFile[] = [];
      for (const f of candidates) {
        if (stillReferenced.has(f.name)) continue;
        try {
          await unlink(join(dir, f.name));
          removedFiles.push(f);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        }
      }
      return tally(removedRows, removedFiles);
    });
  } finally {
    lease.release();
  }
}
