import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenantFilePath } from "../../db/tenant/paths";
import { closeOrganisation } from "../tenants/terminate";
import { userWithOrg } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import { runAsServer } from "./support/running-server";
import { runTsx } from "./support/run-tsx";

/**
 * `purge` from the CLI while a server runs on the same DATA_DIR: the server must let go of the
 * organisation's file before it is deleted, or the plaintext lives on in a deleted file it holds open.
 */
let instance: Instance;
let server: Awaited<ReturnType<typeof runAsServer>>;

beforeAll(async () => {
  instance = await startInstance();
  server = await runAsServer(instance);
}, 60_000);
afterAll(async () => {
  await server?.release();
  await instance?.stop();
});

describe("purge with a running server", () => {
  it("asks the server to close its handle on the organisation before the file goes", async () => {
    const owner = await userWithOrg(instance, "closing-live");
    await closeOrganisation(instance.services, owner.tenantId, { userId: null }, { ip: "127.0.0.1", userAgent: "test" });
    await instance.services.control.updateTable("tenants").set({ purge_after: 1 }).where("id", "=", owner.tenantId).execute();
    // The server holds a handle (a job opened the file), as it may at any time.
    (await instance.services.pool.acquire(owner.tenantId)).release();
    expect(instance.services.pool.isOpen(owner.tenantId)).toBe(true);

    const purge = await runTsx("server/cli/main.ts", ["purge"], {
      env: { ...process.env, NODE_ENV: "test", DATA_DIR: instance.dataDir, MASTER_KEY_FILE: instance.services.config.masterKeyFile! },
      timeoutMs: 120_000,
    });
    expect(purge.stderr).toBe("");
    expect(purge.status).toBe(0);
    expect(existsSync(tenantFilePath(instance.dataDir, owner.tenantId))).toBe(false);
    expect(instance.services.pool.isOpen(owner.tenantId)).toBe(false);
    const row = await instance.services.control.selectFrom("tenants").select("status").where("id", "=", owner.tenantId).executeTakeFirst();
    expect(row?.status).toBe("purged");
  }, 180_000);
});
