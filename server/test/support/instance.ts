import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../clock";
import { loadConfig } from "../../config";
import { createHttpServer } from "../../http/server";
import { createServices, type Services } from "../../services";
import { startSmtp } from "./smtp";

export interface Instance {
  url: string;
  dataDir: string;
  services: Services;
  clock: ManualClock;
  smtp: Awaited<ReturnType<typeof startSmtp>>;
  logs: string[];
  stop(): Promise<void>;
}

/**
 * A real server on loopback with its own temp DATA_DIR, real SQLite files and a real SMTP server.
 * The clock is manual so expiry and back-off are tested by moving time, never by sleeping.
 */
export async function startInstance(env: Record<string, string> = {}): Promise<Instance> {
  // A test may bring its own DATA_DIR (e.g. a small tmpfs it mounted); it also removes it.
  const ownDataDir = env.DATA_DIR === undefined;
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), "opslayer-test-"));
  const smtp = await startSmtp();
  const clock = new ManualClock(Date.now());
  const logs: string[] = [];
  const config = loadConfig({ NODE_ENV: "test", DATA_DIR: dataDir, SMTP_URL: smtp.url, PORT: "0", ...env });
  const services = await createServices(config, { clock, log: (line) => logs.push(line) });
  const server: Server = createHttpServer(services);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return {
    url,
    dataDir,
    services,
    clock,
    smtp,
    logs,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await services.close();
      await smtp.close();
      if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
