import { mkdirSync } from "node:fs";
import { loadConfig, ConfigError } from "./config";
import { createHttpServer } from "./http/server";
import { createRemixApp } from "./http/remix";
import { appRouter } from "./routers/_app";
import { failInterruptedExports } from "./export/jobs";
import { checkCronPattern, defaultJobs, startScheduler } from "./jobs/scheduler";
import { listenForOperator } from "./process/control-socket";
import { containCrashes } from "./process/crash";
import { controlSocketPath, DataDirInUseError, holdDataDir, type DataDirLock } from "./process/data-dir-lock";
import { gracefulStop, type Stop } from "./process/shutdown";
import { kickCompaction } from "./privacy/compaction";
import { createServices } from "./services";
import { assertEveryProcedureDeclaresAccess } from "./trpc/access-check";

// EX_CONFIG from sysexits.h: scripts can tell a bad setting from a crash.
const EXIT_CONFIG = 78;

// Set once the server listens; a crash before that has nothing to drain.
let stop: Stop | null = null;
containCrashes(() => stop);

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(EXIT_CONFIG);
    }
    throw error;
  }
  assertEveryProcedureDeclaresAccess(appRouter);
  if (config.backupCron) checkCronPattern(config.backupCron, "BACKUP_CRON");
  mkdirSync(config.dataDir, { recursive: true });
  // Before the control DB is opened: a second server on the same files (or an old version migrating
  // them under a new one) is refused, naming the first, rather than left to fight it.
  let lock: DataDirLock;
  try {
    lock = holdDataDir(config.dataDir);
  } catch (error) {
    if (!(error instanceof DataDirInUseError)) throw error;
    console.error(error.message);
    process.exit(EXIT_CONFIG);
  }
  const services = await createServices(config);
  lock.publish({ keyIds: loadedKeyIds(services) });
  // Operator commands (restore --org) ask the server through it to take an organisation out of service.
  const operator = await listenForOperator(services, controlSocketPath(config.dataDir));
  lock.publish({ controlSocket: controlSocketPath(config.dataDir) });
  // The disk-full ballast (server/storage/disk-state.ts); written while the server starts serving.
  void services.disk.prepare();
  // Before anything can start a new export: a restart killed whatever was running.
  const interrupted = await failInterruptedExports(services);
  if (interrupted) services.log(`[exports] ${interrupted} export(s) interrupted by the restart marked failed`);
  // Files a deletion queued before a restart are compacted now rather than at the next tick.
  kickCompaction(services);
  // Only the server schedules work; CLI processes share the services but not the timers.
  const scheduler = config.jobs ? startScheduler(services, defaultJobs(services)) : null;
  const server = createHttpServer(services, await createRemixApp(services));
  if (!config.appUrl && config.env === "production") {
    console.warn("[config] APP_URL is not set: emailed links will use the Host header of each request. Set APP_URL in production.");
  }
  // exclusive: under the cluster supervisor the worker binds the port itself, so the primary never
  // sits between a client and the server (and a restarted worker binds it again).
  server.listen({ port: config.port, host: config.host, exclusive: true }, () => {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    lock.publish({ port });
    console.log(`opslayer listening on http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${port} (data: ${config.dataDir})`);
  });
  // A running export is not waited for: the next start marks it failed and removes its file.
  stop = gracefulStop({
    server,
    graceMs: config.shutdownGraceMs,
    log: services.log,
    stopJobs: () => scheduler?.stop(),
    closeRest: async () => {
      await operator.close();
      await services.close();
      lock.release();
    },
  });
  const onSignal = (signal: NodeJS.Signals) => stop?.(0, signal);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

/** The master key ids the server unwraps data keys with (server.json, for the CLI's checks). */
function loadedKeyIds(services: Awaited<ReturnType<typeof createServices>>) {
  return services.keys.loadedIds;
}

main().catch((error) => {
  // A bad master key file surfaces while services start; it is still a setting to fix, not a crash.
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(EXIT_CONFIG);
  }
  console.error(error);
  process.exit(1);
});
