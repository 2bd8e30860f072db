import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTsx } from "./support/run-tsx";
import { startInstance, type Instance } from "./support/instance";
import { userWithOrg } from "./support/accounts";
import { startWriters } from "./support/lifecycle-chaos";
import { runAsServer } from "./support/running-server";

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, "underload");
  server = await runAsServer(instance);
}, 60_000);
afterAll(async () => {
  await server?.release();
  await instance?.stop();
});
let server: Awaited<ReturnType<typeof runAsServer>>;

const cli = (args: string[]) =>
  runTsx("server/cli/main.ts", args, {
    env: { ...process.env, NODE_ENV: "test", DATA_DIR: instance.dataDir, MASTER_KEY_FILE: instance.services.config.masterKeyFile! },
    timeoutMs: 120_000,
  });

describe("restore --org under 20 HTTP writers (issue 29, item 1)", () => {
  it("restores the backup for real: writes acknowledged between backup and restore are gone, writes after it are kept", async () => {
    const backup = await cli(["backup", "--org", owner.slug]);
    expect(backup.status).toBe(0);
    const load = startWriters(owner.client, owner.slug, 20);
    while (load.acked.length < 100) await new Promise((r) => setTimeout(r, 20));
    const beforeRestore = load.acked.length;
    const restore = await cli(["restore", "--org", owner.slug, "--force"]);
    const afterRestore = load.acked.length;
    while (load.acked.length < afterRestore + 40) await new Promise((r) => setTimeout(r, 20));
    await load.stop();
    const listed = await owner.client.query("clients.list", { org: owner.slug });
    const names = new Set((listed.data as { name: string }[]).map((c) => c.name));

    // Before the fix: exit 0, "Restored … replaced the live database", and all of these still there.
    expect(restore.stderr).toBe("");
    expect(restore.status).toBe(0);
    expect(restore.stdout).toMatch(/Verified: the live file holds all \d+ pages of the backup, and \d+ tables/);
    expect(load.acked.slice(0, beforeRestore).filter((a) => names.has(a.name))).toEqual([]);
    // Acknowledged once the command had exited: on the restored file, and kept.
    expect(load.acked.slice(afterRestore).filter((a) => !names.has(a.name))).toEqual([]);
    expect(Object.keys(load.refused).filter((k) => k !== "503 retry-after=10")).toEqual([]);
  }, 180_000);
});
