import { existsSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenantFilePath } from "../../db/tenant/paths";
import { backupAll } from "../backup/backup";
import { tenantBackupDir } from "../backup/layout";
import { backupLockPath } from "../backup/lock";
import { restoreTenant, RestoreError } from "../backup/restore";
import { purgeClosedOrganisations } from "../tenants/terminate";
import { startInstance, type Instance } from "./support/instance";
import { orgWithData } from "./support/world";

const DAY = 86_400_000;
let instance: Instance;

beforeAll(async () => {
  instance = await startInstance({ ORG_GRACE_DAYS: "1" });
}, 60_000);
afterAll(() => instance.stop());

describe("restore --org of an organisation whose purge a backup postponed", () => {
  it("is refused with a sentence (its data key is already destroyed) and puts no file back", async () => {
    const org = await orgWithData(instance, "halfpurged");
    expect((await backupAll(instance.services)).failures).toEqual([]);
    const closed = await org.client.mutate("termination.terminate", { org: "halfpurged", confirmSlug: "halfpurged" });
    expect(closed.status).toBe(200);
    instance.clock.advance(2 * DAY);
    const backupDir = instance.services.config.backupDir;
    const lock = backupLockPath(backupDir);
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString(), token: "running" }));
    try {
      const first = await purgeClosedOrganisations(instance.services);
      expect(first.failed.map((f) => f.tenantId)).toEqual([org.tenantId]);
    } finally {
      rmSync(lock, { force: true });
    }
    const row = await instance.services.control
      .selectFrom("tenants")
      .select(["status", "wrapped_key"])
      .where("id", "=", org.tenantId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: "purging", wrapped_key: null });
    expect(existsSync(tenantBackupDir(backupDir, org.tenantId))).toBe(true);

    let refusal: unknown;
    try {
      await restoreTenant(instance.services, "halfpurged", { force: true });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(RestoreError);
    expect((refusal as RestoreError).message).toContain("halfpurged");
    expect(existsSync(tenantFilePath(instance.dataDir, org.tenantId))).toBe(false);
  }, 60_000);
});
