import { inspect } from "node:util";
import { currentRequestId, requestsInFlight } from "../http/request-id";
import type { Stop } from "./shutdown";

/**
 * After an uncaught exception or an unhandled rejection the process is in a state nobody designed
 * (a half-done write, a leaked handle), so it is not kept serving: the crash is logged with its
 * stack and the request it happened in, then the server stops the same way as on SIGTERM (requests
 * in flight may finish) and exits 1, and the supervisor (server/process/supervisor.ts) starts a
 * fresh one. `stop` is read at crash time: before the server listens there is nothing to drain.
 */
export function containCrashes(stop: () => Stop | null) {
  const report = (kind: string) => (error: unknown) => {
    console.error(`[crash] ${kind} ${whereItHappened()}: ${describe(error)}`);
    const stopServer = stop();
    if (stopServer) stopServer(1, `after an ${kind}`);
    else process.exit(1);
  };
  process.on("uncaughtException", report("uncaught exception"));
  process.on("unhandledRejection", report("unhandled rejection"));
}

function whereItHappened() {
  const id = currentRequestId();
  if (id) return `in request ${id}`;
  const open = requestsInFlight();
  if (open.length === 0) return "outside any request";
  const shown = open.slice(0, 20).join(", ");
  return `outside a request's context (in flight: ${shown}${open.length > 20 ? `, and ${open.length - 20} more` : ""})`;
}

function describe(error: unknown) {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return `a thrown non-Error value ${inspect(error, { depth: 2 })}`;
}
