import { parentPort, workerData } from "node:worker_threads";
import { join } from "node:path";
import { destroyHandle, kyselyFor, openSqlite } from "../../db/sqlite";
import type { ControlDB } from "../../db/control/schema";
import type { Config } from "../config";
import { backupAll } from "./backup";

/**
 * Body of the scheduled-backup worker thread: the same backupAll as `npm run cli -- backup`, on
 * the thread's own connections, so no page copy, hash or file copy runs on the server's event loop.
 * The control DB is opened without migrating (the server did that) and only read.
 */
async function run(config: Config) {
  const control = kyselyFor<ControlDB>(
    openSqlite(join(config.dataDir, "control.sqlite"), { synchronous: config.synchronous, mustExist: true }),
  );
  try {
    return await backupAll({ config, control, log: (line) => parentPort?.postMessage({ log: line }) });
  } finally {
    await destroyHandle(control);
  }
}

const { config } = workerData as { config: Config };
run(config).then(
  (summary) => parentPort?.postMessage({ summary }),
  (error: unknown) =>
    parentPort?.postMessage({
      error: error instanceof Error ? error.message : String(error),
      name: error instanceof Error ? error.name : "Error",
    }),
);
