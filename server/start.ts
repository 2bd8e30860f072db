import { fileURLToPath } from "node:url";
import { EXIT } from "./cli/command";
import { ConfigError, loadConfig } from "./config";
import { superviseServer } from "./process/supervisor";

/**
 * Production entry (`npm start`): a supervisor that keeps one server (server/main.ts) running and
 * restarts it when it dies. `tsx server/main.ts` still runs the server alone, unsupervised.
 */
let config;
try {
  // Checked here too so a typo stops the start at once, before any worker is forked.
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(EXIT.config);
}
superviseServer({ workerScript: fileURLToPath(new URL("./main.ts", import.meta.url)), killAfterMs: config.shutdownGraceMs + 10_000 });
