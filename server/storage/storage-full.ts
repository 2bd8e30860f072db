/** The one sentence every refused write answers while the disk is full or under its watermark. */
export const STORAGE_FULL_MESSAGE = "The server's storage is full, so nothing was saved. Your operator has been told.";
/** What clients read in `error.code` (tRPC `data.code`, the files and exports routes' JSON). */
export const STORAGE_FULL_CODE = "STORAGE_FULL";
/** RFC 4918 Insufficient Storage: the request was fine, the server could not store what it needed. */
export const STORAGE_FULL_STATUS = 507;

/** A write refused because storage is full (or below its watermark); `cause` is the original error, if any. */
export class StorageFullError extends Error {
  override name = "StorageFullError";
  readonly code = STORAGE_FULL_CODE;
  constructor(cause?: unknown) {
    super(STORAGE_FULL_MESSAGE, cause === undefined ? undefined : { cause });
  }
}

/**
 * SQLite's unix VFS already turns a write that failed with ENOSPC into SQLITE_FULL (os_unix.c,
 * unixWrite), so an SQLITE_IOERR_WRITE means some other errno (EIO, a dying disk) and is not
 * counted here. EDQUOT is a full quota, the same state for us. SQLITE_FULL also covers a database
 * that reached max_page_count, which is a size limit the operator set: still "full".
 */
const FULL_CODES = new Set(["SQLITE_FULL", "ENOSPC", "EDQUOT"]);

/** True when `error`, or any error in its `cause` chain (TRPCError wraps the original), says storage is full. */
export function isStorageFull(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === "object" && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof StorageFullError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && FULL_CODES.has(code)) return true;
  }
  return false;
}

/** The original error to log: the innermost cause that is not our own refusal wrapper. */
export function originalError(error: unknown): unknown {
  let e = error;
  while (e && typeof e === "object" && (e as { cause?: unknown }).cause !== undefined) e = (e as { cause?: unknown }).cause;
  return e;
}

/** `error` as our refusal: itself when it already is one, else a StorageFullError around the original. */
export function storageFullError(error: unknown): StorageFullError {
  for (let e = error, depth = 0; e && typeof e === "object" && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof StorageFullError) return e;
  }
  return new StorageFullError(originalError(error));
}

/** The JSON body of a 507 on the plain HTTP routes; the same shape as their other errors. */
export function storageFullBody() {
  return { error: { message: STORAGE_FULL_MESSAGE, code: STORAGE_FULL_CODE } };
}
