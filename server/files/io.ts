import type { Readable } from "node:stream";
import type { AttachmentRow } from "../../db/tenant/files/attachments";
import type { SymmetricKey } from "../crypto/envelope";

/**
 * The byte streams of the file routes (server/http/files.ts), handed to the files procedures through
 * the context under a symbol. Only those routes set it, so over /api/trpc the same procedures see no
 * stream: uploads are refused there, and downloads return metadata only.
 */
export const FILE_IO: unique symbol = Symbol("opslayer.fileIo");

export interface FileIo {
  upload?: { stream: Readable; declaredLength: number | null };
  /** Filled in by files.get once access is checked: what the route needs to stream the blob. */
  download?: { tenantId: string; key: SymmetricKey; row: AttachmentRow };
}

export function fileIo(ctx: object): FileIo | undefined {
  return (ctx as { [FILE_IO]?: FileIo })[FILE_IO];
}
