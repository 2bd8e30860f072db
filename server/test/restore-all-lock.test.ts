import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupAll } from "../backup/backup";
import { restoreAll, RestoreError } from "../backup/restore";
import { loadConfig } from "../config";
import { DataDirInUseError, runningServer } from "../process/data-dir-lock";
import { startInstance, type Instance } from "./support/instance";
import { serverStart } from "./support/running-server";
import { orgWithData } from "./support/world";

let instance: Instance;
const dirs: string[] = [];

beforeAll(async () => {
  instance = await startInstance();
  await orgWithData(instance, "lockedrestore");
  const summary = await backupAll(instance.services);
  expect(summary.failures).toEqual([]);
}, 60_000);

afterAll(async () => {
  await instance?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const freshConfig = () => {
  const dataDir = mkdtempSync(join(tmpdir(), "opslayer-restore-all-lock-"));
  dirs.push(dataDir);
  const { backupDir, masterKeyFile } = instance.services.config;
  return loadConfig({ NODE_ENV: "test", DATA_DIR: dataDir, BACKUP_DIR: backupDir, MASTER_KEY_FILE: masterKeyFile!, PORT: "0" });
};

describe("restore --all and a server starting meanwhile", () => {
  it("holds DATA_DIR for its whole run, so a server started while it replaces files is refused; frees it after", async () => {
    const config = freshConfig();
    const restoring = restoreAll(config);
    // restoreAll is past its check that no server runs, and about to replace files.
    expect(runningServer(config.dataDir)).not.toBeNull();
    expect(serverStart(config.dataDir)).toBeInstanceOf(DataDirInUseError);
    const result = await restoring;
    expect(result.tenants.map((t) => t.slug)).toEqual(["lockedrestore"]);
    expect(runningServer(config.dataDir)).toBeNull();
    expect(existsSync(join(config.dataDir, "server.json"))).toBe(false);
    expect(serverStart(config.dataDir)).toBe("started");
  }, 60_000);

  it("frees DATA_DIR when it fails", async () => {
    const config = freshConfig();
    await expect(restoreAll(config, { stamp: "20000101T000000Z" })).rejects.toBeInstanceOf(RestoreError);
    expect(runningServer(config.dataDir)).toBeNull();
    expect(serverStart(config.dataDir)).toBe("started");
  }, 30_000);
});
