import { unlink } from "node:fs/promises";
import type { ControlDb } from "../../db/control/open";
import { exportFilePath, exportsIdle } from "../export/jobs";
import type { Services } from "../services";

export interface ExportRef {
  id: string;
  status: string;
}

/**
 * An organisation's exports that may hold what is about to be erased from it: finished ones, and
 * those queued or running (they may read the file before the erasure takes the lock). Expired ones
 * are included so a retry removes a file an earlier attempt failed to delete.
 */
export async function exportsBeforeErasure(control: ControlDb, tenantId: string): Promise<ExportRef[]> {
  return control
    .selectFrom("org_exports")
    .select(["id", "status"])
    .where("tenant_id", "=", tenantId)
    .where("status", "in", ["queued", "running", "done", "expired"])
    .execute();
}

/**
 * A ZIP made before the deletion still holds the person: those exports expire (the download answers
 * 410) and their files are deleted. Waits first for the ones still in progress in this process,
 * since they finish as "done" with the old contents. The rows change before the files go, so no
 * download is served from a file about to disappear. Returns how many were expired.
 */
export async function expireExportsBefore(services: Services, refs: ExportRef[]): Promise<number> {
  if (!refs.length) return 0;
  if (refs.some((r) => r.status === "queued" || r.status === "running")) await exportsIdle(services);
  const ids = refs.map((r) => r.id);
  const { expired, gone } = await services.control.transaction().execute(async (trx) => {
    const expired = await trx
      .updateTable("org_exports")
      .set({ status: "expired" })
      .where("id", "in", ids)
      .where("status", "=", "done")
      .returning("id")
      .execute();
    const gone = await trx.selectFrom("org_exports").select("id").where("id", "in", ids).where("status", "=", "expired").execute();
    return { expired: expired.length, gone };
  });
  for (const { id } of gone) {
    await unlink(exportFilePath(services.config.dataDir, id)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }
  return expired;
}
