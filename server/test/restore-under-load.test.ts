import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTsx } from "./support/run-tsx";
import { startInstance, type Instance } from "./support/instance";
import { userWithOrg } from "./support/accounts";
import type { Client } from "./support/client";
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

function writers(client: Client, slug: string, count: number) {
  const acked: { name: string; at: number }[] = [];
  let stop = false;
  let seq = 0;
  const loops = Array.from({ length: count }, async (_, w) => {
    while (!stop) {
      const name = `w${w}-${++seq}`;
      const res = await client.mutate("clients.create", { org: slug, name });
      if (res.status === 200) acked.push({ name, at: performance.now() });
    }
  });
  return {
    acked,
    async stop() {
      stop = true;
      await Promise.all(loops);
    },
  };
}

describe("restore --org under 20 HTTP writers", () => {
  it("reproduction: restores the backup or fails, never reports success over an untouched live file", async () => {
    const backup = await cli(["backup", "--org", owner.slug]);
    expect(backup.status).toBe(0);
    const load = writers(owner.client, owner.slug, 20);
    while (load.acked.length < 100) await new Promise((r) => setTimeout(r, 20));
    const beforeRestore = load.acked.length;
    const restore = await cli(["restore", "--org", owner.slug, "--force"]);
    await load.stop();
    const names = new Set(((await owner.client.query("clients.list", { org: owner.slug })).data as { name: string }[]).map((c) => c.name));
    const survivors = load.acked.slice(0, beforeRestore).filter((a) => names.has(a.name)).length;
    console.log({ status: restore.status, stdout: restore.stdout, stderr: restore.stderr, beforeRestore, survivors });
    if (restore.status === 0) expect(survivors).toBe(0);
    else expect(restore.stderr.trim()).not.toBe("");
  }, 180_000);
});
