import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRotateMasterKeyCommand } from "../cli/rotate-master-key";
import { loadConfig } from "../config";
import { DataDirInUseError, runningServer, type RunningServer } from "../process/data-dir-lock";
import { createServices, type Services } from "../services";
import { startInstance, type Instance } from "./support/instance";
import { serverStart } from "./support/running-server";
import { orgWithData } from "./support/world";

let instance: Instance;
const dirs: string[] = [];

beforeAll(async () => {
  instance = await startInstance();
  await orgWithData(instance, "offlinerotation");
}, 60_000);

afterAll(async () => {
  await instance?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("rotate-master-key with no server running", () => {
  it("holds DATA_DIR while it rewraps, so a server started meanwhile (on the old key only) is refused; frees it after", async () => {
    const { dataDir, masterKeyFile } = instance.services.config;
    const keyDir = mkdtempSync(join(tmpdir(), "opslayer-rotate-lock-"));
    dirs.push(keyDir);
    const config = loadConfig({ NODE_ENV: "test", DATA_DIR: dataDir, MASTER_KEY_FILE: masterKeyFile!, PORT: "0" });
    const seen: { during: RunningServer | null; start: unknown }[] = [];
    let services = null as Promise<Services> | null;
    const command = makeRotateMasterKeyCommand(runningServer);
    try {
      await command.run({
        config,
        args: ["--new-key-file", join(keyDir, "new.key")],
        services: () => {
          // Called before the keys are read and again just before the rewrap.
          seen.push({ during: runningServer(dataDir), start: serverStart(dataDir) });
          return (services ??= createServices(config, { log: () => {} }));
        },
      });
    } finally {
      if (services) await (await services).close();
    }
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) {
      expect(s.during).toMatchObject({ pid: process.pid, command: "rotate-master-key" });
      expect(s.start).toBeInstanceOf(DataDirInUseError);
      expect((s.start as Error).message).toContain("rotate-master-key");
    }
    expect(runningServer(dataDir)).toBeNull();
    expect(serverStart(dataDir)).toBe("started");
  }, 60_000);
});
