import type { IncomingMessage, ServerResponse } from "node:http";
import type { Services } from "../services";
import { originalError, STORAGE_FULL_STATUS, StorageFullError, storageFullBody } from "../storage/storage-full";

/**
 * When `error` says storage is full: records it (it may start an episode) and logs the original
 * error rather than any wrapper or a failed ROLLBACK; our own up-front refusals are expected
 * answers, not faults, and are not logged. Returns whether it was a storage-full error.
 */
export function noteStorageFull(services: Services, label: string, where: string, error: unknown) {
  if (!services.disk.noteError(error)) return false;
  const original = originalError(error);
  if (!(original instanceof StorageFullError)) {
    services.log(`[${label}] ${where}: storage full: ${(original as Error)?.stack ?? String(original)}`);
  }
  return true;
}

/**
 * For the plain HTTP routes (files, exports): a storage-full error answers 507 with the one
 * sentence. Returns false for every other error, which the route answers as before.
 */
export function answeredStorageFull(req: IncomingMessage, res: ServerResponse, services: Services, label: string, error: unknown) {
  if (!noteStorageFull(services, label, `${req.method} ${req.url?.split("?")[0]}`, error)) return false;
  if (res.headersSent) {
    res.destroy();
    return true;
  }
  if (!req.complete) res.setHeader("Connection", "close");
  res.writeHead(STORAGE_FULL_STATUS, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(storageFullBody()));
  return true;
}

/** Liveness: the process answers. Readiness: it can also store what it is sent (503 with the reason while storage is full). */
export function answerProbe(res: ServerResponse, services: Services, path: "/healthz" | "/readyz") {
  res.setHeader("cache-control", "no-store");
  if (path === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "ok" }));
    return;
  }
  const disk = services.disk.status();
  const ready = disk.storage !== "full";
  const body = ready
    ? { status: "ready", storage: disk }
    : { status: "not ready", reason: "storage full: writes are refused until space is freed in DATA_DIR", storage: disk };
  res.writeHead(ready ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(body));
}
