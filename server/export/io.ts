/**
 * The download route (server/http/exports.ts) hands this to exports.download through the context,
 * under a symbol, like the file routes do (server/files/io.ts). Only that route sets it: over
 * /api/trpc the same procedure answers metadata and sends no bytes, so records no download.
 */
export const EXPORT_IO: unique symbol = Symbol("opslayer.exportIo");

export interface ExportIo {
  /** Filled in by exports.download once access is checked and the download is audited. */
  download?: { path: string; fileName: string; bytes: number };
}

export function exportIo(ctx: object): ExportIo | undefined {
  return (ctx as { [EXPORT_IO]?: ExportIo })[EXPORT_IO];
}

/** The export exists but its link has expired: the route answers 410 Gone. */
export class ExportGoneError extends Error {
  override name = "ExportGoneError";
}
