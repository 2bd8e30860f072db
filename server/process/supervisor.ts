import cluster, { type Worker } from "node:cluster";
import { EXIT } from "../cli/command";

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
// A worker that served this long before dying was healthy: its death starts a new series of back-offs.
const STABLE_MS = 60_000;

/** Wait before the nth restart in a row (n >= 1): 0.5 s, 1 s, 2 s … capped at 30 s. */
export function restartDelay(consecutive: number) {
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.max(0, consecutive - 1));
}

/** The environment variable through which a worker learns how many restarts came before it (for /metrics). */
export const RESTARTS_ENV = "OPSLAYER_WORKER_RESTARTS";

/**
 * Workers run TypeScript like the primary: they inherit its loader flags (`tsx` adds its own when it
 * starts a script), and get `--import tsx` when the primary was started some other way.
 */
function workerExecArgv(execArgv: string[]) {
  return execArgv.some((arg) => arg.includes("tsx")) ? execArgv : [...execArgv, "--import", "tsx"];
}

export interface SupervisorOptions {
  /** Absolute path of the server's entry point, run as the one worker. */
  workerScript: string;
  /** After a stop signal, how long the worker may take to drain before it is killed. */
  killAfterMs: number;
  log?: (line: string) => void;
}

/**
 * The `cluster` primary behind `npm start`: one worker runs the server; when it dies it is started
 * again after a back-off, and each restart is logged and counted. A worker exiting with the config
 * code (78) is not restarted, since the same settings would fail the same way. SIGINT and SIGTERM
 * are passed on; the primary then exits with the worker's code and starts nothing. The worker binds
 * the port itself (main.ts listens with `exclusive`): the primary is never in a request's path.
 */
export function superviseServer({ workerScript, killAfterMs, log = (line) => console.log(`[supervisor] ${line}`) }: SupervisorOptions) {
  cluster.setupPrimary({ exec: workerScript, execArgv: workerExecArgv(process.execArgv) });
  let restarts = 0;
  let consecutive = 0;
  let stopping = false;
  let worker: Worker | null = null;
  let pending: NodeJS.Timeout | null = null;

  const start = () => {
    pending = null;
    const startedAt = performance.now();
    const current = cluster.fork({ [RESTARTS_ENV]: String(restarts) });
    const pid = current.process.pid;
    worker = current;
    log(`worker ${pid} started${restarts ? ` (restart ${restarts})` : ""}`);
    current.on("error", (error) => log(`worker ${pid}: ${error.message}`));
    current.on("exit", (code, signal) => {
      worker = null;
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      if (stopping) {
        log(`worker ${pid} stopped (${how})`);
        // Killed by our own SIGTERM (it came before the worker's handler was installed) is a clean stop too.
        process.exit(code ?? (signal === "SIGTERM" ? EXIT.ok : EXIT.failure));
      }
      if (code === EXIT.config) {
        log(`worker ${pid} stopped on bad configuration (${how}): not restarting`);
        process.exit(EXIT.config);
      }
      const upMs = performance.now() - startedAt;
      consecutive = upMs >= STABLE_MS ? 1 : consecutive + 1;
      restarts += 1;
      const delay = restartDelay(consecutive);
      log(`worker ${pid} died (${how}) after ${(upMs / 1000).toFixed(1)} s; restart ${restarts} in ${delay / 1000} s`);
      pending = setTimeout(start, delay);
    });
  };

  const onSignal = (signal: NodeJS.Signals) => {
    // Repeats are ignored, not escalated: a Ctrl-C under `npm start` arrives twice (from the
    // terminal and relayed by tsx), and killing the worker then would skip its drain.
    if (stopping) return;
    stopping = true;
    if (pending) clearTimeout(pending);
    if (!worker) {
      log(`${signal}: no worker running, stopping`);
      process.exit(EXIT.ok);
    }
    log(`${signal}: stopping worker ${worker.process.pid}`);
    worker.process.kill("SIGTERM");
    setTimeout(() => {
      if (!worker) return;
      log(`worker ${worker.process.pid} still running ${killAfterMs / 1000} s after ${signal}: killing it`);
      worker.process.kill("SIGKILL");
    }, killAfterMs).unref();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  start();
}
