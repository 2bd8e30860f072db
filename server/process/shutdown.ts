import type { Server } from "node:http";

export interface StopPlan {
  server: Server;
  graceMs: number;
  /** Stops starting background work (the scheduler) at once, before the wait. */
  stopJobs: () => void;
  /** Closes the services once no request is left. */
  closeRest: () => Promise<void>;
  log: (line: string) => void;
  /** process.exit, unless a test is watching. */
  exit?: (code: number) => void;
}

/** Stops the process with `code`; `reason` is logged. Safe to call more than once. */
export type Stop = (code: number, reason: string) => void;

/**
 * One way down for a stop signal and a crash alike: stop accepting, let requests in flight finish
 * for up to `graceMs`, cut what is left, close the rest, exit. The first call sets the timing; a
 * later one (a crash while stopping, a second signal) can only raise the exit code.
 */
export function gracefulStop({ server, graceMs, stopJobs, closeRest, log, exit = (code) => process.exit(code) }: StopPlan): Stop {
  let exitCode: number | null = null;
  return (code, reason) => {
    if (exitCode !== null) {
      exitCode = Math.max(exitCode, code);
      return;
    }
    exitCode = code;
    log(`[server] ${reason}: stopped accepting; requests in flight have ${graceMs / 1000} s to finish`);
    stopJobs();
    // A keep-alive connection would otherwise keep bringing new requests in while we wait.
    server.prependListener("request", (_req, res) => res.setHeader("Connection", "close"));
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    // close() only cuts the connections idle at the time of the call; these become idle later.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, graceMs)));
    // A close that hangs (a stuck handle) must not keep a crashed process alive.
    const backstop = setTimeout(() => exit(exitCode ?? 1), graceMs + 5_000);
    void Promise.race([drained, graceOver])
      .then(async () => {
        clearInterval(sweep);
        clearTimeout(graceTimer);
        server.closeAllConnections();
        await closeRest();
      })
      .catch((error: unknown) => {
        log(`[server] closing after ${reason} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        exitCode = Math.max(exitCode ?? 1, 1);
      })
      .finally(() => {
        clearTimeout(backstop);
        exit(exitCode ?? 1);
      });
  };
}
