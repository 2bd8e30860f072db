import type { AttachmentRow } from "../../db/tenant/files/attachments";
import type { Services } from "../services";
import { removeBlob } from "./storage";

/**
 * Removes the blobs of attachment rows that are already deleted (call after the deleting transaction
 * commits). A blob that cannot be removed is logged, not thrown: the record is gone either way, and
 * an orphaned encrypted blob is harmless beyond the disk it takes.
 */
export async function removeAttachmentBlobs(
  services: Pick<Services, "config" | "log">,
  tenantId: string,
  rows: readonly Pick<AttachmentRow, "id" | "blob_name">[],
) {
  for (const row of rows) {
    try {
      await removeBlob(services.config.dataDir, tenantId, row.blob_name);
    } catch (error) {
      services.log(`[files] could not remove blob of ${row.id} in ${tenantId}: ${(error as Error).message}`);
    }
  }
}
