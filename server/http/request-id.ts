import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Every request gets an id, echoed as `X-Request-Id`, so a log line, a crash and a user's report can
 * be matched. A proxy's id is kept when it is a plain token; anything else (too long, spaces, line
 * breaks that would forge log lines) is replaced. The store is process-wide on purpose: the crash
 * handler and `services.log` must find the id without being handed the request.
 */
const storage = new AsyncLocalStorage<string>();
const inFlight = new Map<ServerResponse, string>();
const VALID_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export function withRequestId(req: IncomingMessage, res: ServerResponse, handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const given = req.headers["x-request-id"];
  const id = typeof given === "string" && VALID_ID.test(given) ? given : randomUUID();
  res.setHeader("X-Request-Id", id);
  inFlight.set(res, id);
  res.once("close", () => inFlight.delete(res));
  storage.run(id, handle, req, res);
}

/** The id of the request whose work is running now, if any (timers, promises and callbacks it started included). */
export function currentRequestId(): string | undefined {
  return storage.getStore();
}

/**
 * Ids of the requests not yet answered. A stream or emitter callback runs in its socket's context,
 * not the request's, so a crash there has no current id: these are then the candidates.
 */
export function requestsInFlight(): string[] {
  return [...inFlight.values()];
}
