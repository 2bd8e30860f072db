import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, relative } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupAll, readManifest } from "../backup/backup";
import { blobBackupDir, controlBackupDir, tenantBackupDir } from "../backup/layout";
import { backupLockPath } from "../backup/lock";
import { sha256File } from "../backup/sqlite-copy";
import { blobDir } from "../files/storage";
import { purgeClosedOrganisations } from "../tenants/terminate";
import { startInstance, type Instance } from "./support/instance";
import { filesUnder } from "./support/tenant-files";
import { orgWithData } from "./support/world";

const DAY = 86_400_000;
let instance: Instance;
let doomed: Awaited<ReturnType<typeof orgWithData>>;
let kept: Awaited<ReturnType<typeof orgWithData>>;

/** Every byte string that would let someone read the purged organisation, with a name for the failure message. */
const needles = new Map<string, Buffer>();

function hits(dir: string) {
  const found: string[] = [];
  for (const path of filesUnder(dir)) {
    const bytes = readFileSync(path);
    for (const [name, needle] of needles) if (bytes.includes(needle)) found.push(`${relative(dir, path)}: ${name}`);
  }
  return found;
}

beforeAll(async () => {
  instance = await startInstance({ ORG_GRACE_DAYS: "1" });
  doomed = await orgWithData(instance, "shredme");
  kept = await orgWithData(instance, "keepme");
  const { control, keys } = instance.services;
  const row = await control.selectFrom("tenants").select("wrapped_key").where("id", "=", doomed.tenantId).executeTakeFirstOrThrow();
  const wrapped = row.wrapped_key!;
  needles.set("org name", Buffer.from("Org shredme"));
  needles.set("client name", Buffer.from("Client of shredme"));
  needles.set("project name", Buffer.from("Project of shredme"));
  needles.set("client contact", Buffer.from("billing@shredme.test"));
  needles.set("wrapped key (text)", Buffer.from(wrapped));
  needles.set("wrapped key (bytes)", Buffer.from(wrapped.split(":")[2]!, "base64"));
  needles.set("data key", (await keys.dataKeyFor(doomed.tenantId)).key);
  for (const name of readdirSync(blobDir(instance.dataDir, doomed.tenantId)))
    needles.set(`blob ${name}`, readFileSync(join(blobDir(instance.dataDir, doomed.tenantId), name)).subarray(0, 64));

  // Two full runs, so the organisation is in several control backups and has backed-up blobs.
  for (let i = 0; i < 2; i++) expect((await backupAll(instance.services)).failures).toEqual([]);
  // The row is written again and again (closed, reopened, closed) so old copies pile up in the WAL.
  for (const step of ["terminate", "restore", "terminate"] as const) {
    const res =
      step === "terminate"
        ? await doomed.client.mutate("termination.terminate", { org: "shredme", confirmSlug: "shredme" })
        : await doomed.client.mutate("termination.restore", { slug: "shredme" });
    expect(res.status, JSON.stringify(res.error)).toBe(200);
  }
  instance.clock.advance(2 * DAY);
}, 120_000);
afterAll(() => instance.stop());

describe("purging shreds the organisation everywhere under DATA_DIR and BACKUP_DIR", () => {
  it("finds the markers and the wrapped key before the purge (the scan can see them)", () => {
    const before = hits(instance.dataDir);
    for (const name of needles.keys())
      if (!name.startsWith("blob") && !["data key", "wrapped key (bytes)"].includes(name)) expect(before.join("\n")).toContain(name);
    expect(before.some((h) => h.startsWith("backups/") && h.includes("client name"))).toBe(true);
    expect(before.some((h) => h.startsWith("backups/blobs/") && h.includes(": blob "))).toBe(true);
  });

  it("leaves no marker string, wrapped-key byte or blob of it in any file, WAL and free pages included", async () => {
    expect(await purgeClosedOrganisations(instance.services)).toEqual({ purged: [doomed.tenantId], failed: [], walShredded: true });
    expect(hits(instance.dataDir)).toEqual([]);
    const backupDir = instance.services.config.backupDir;
    expect(existsSync(tenantBackupDir(backupDir, doomed.tenantId))).toBe(false);
    expect(existsSync(blobBackupDir(backupDir, doomed.tenantId))).toBe(false);
  });

  it("keeps every other organisation's backups whole and restorable: scrubbed control backups still match their manifests", async () => {
    const backupDir = instance.services.config.backupDir;
    const stamps = readdirSync(controlBackupDir(backupDir)).filter((n) => n.endsWith(".sqlite"));
    expect(stamps).toHaveLength(2);
    for (const name of stamps) {
      const stamp = name.replace(/\.sqlite$/, "");
      const path = join(controlBackupDir(backupDir), name);
      const manifest = readManifest(backupDir, stamp)!;
      expect(manifest.control?.sha256).toBe(await sha256File(path));
      expect(manifest.tenants.map((t) => t.tenantId)).toEqual([kept.tenantId]);
      const db = new Database(path, { readonly: true });
      try {
        expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
        expect(db.prepare("select status, wrapped_key, name from tenants where id = ?").get(doomed.tenantId)).toEqual({
          status: "purged",
          wrapped_key: null,
          name: "(purged)",
        });
        expect(db.prepare("select count(*) from memberships where tenant_id = ?").pluck().get(doomed.tenantId)).toBe(0);
        expect(db.prepare("select status from tenants where id = ?").pluck().get(kept.tenantId)).toBe("active");
      } finally {
        db.close();
      }
      const keptFile = join(tenantBackupDir(backupDir, kept.tenantId), name);
      expect(readManifest(backupDir, stamp)!.tenants[0]!.sha256).toBe(await sha256File(keptFile));
    }
    expect(readdirSync(blobBackupDir(backupDir, kept.tenantId)).length).toBeGreaterThan(0);
  });

  it("postpones an organisation while a backup holds BACKUP_DIR, its key already gone, and finishes it on the next run", async () => {
    const late = await orgWithData(instance, "lateone");
    expect((await backupAll(instance.services)).failures).toEqual([]);
    const { wrapped_key: wrapped } = await instance.services.control
      .selectFrom("tenants")
      .select("wrapped_key")
      .where("id", "=", late.tenantId)
      .executeTakeFirstOrThrow();
    const closed = await late.client.mutate("termination.terminate", { org: "lateone", confirmSlug: "lateone" });
    expect(closed.status).toBe(200);
    instance.clock.advance(2 * DAY);
    const backupDir = instance.services.config.backupDir;
    const lock = backupLockPath(backupDir);
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString(), token: "running" }));
    const row = () =>
      instance.services.control
        .selectFrom("tenants")
        .select(["status", "wrapped_key"])
        .where("id", "=", late.tenantId)
        .executeTakeFirstOrThrow();
    try {
      const first = await purgeClosedOrganisations(instance.services);
      expect(first.purged).toEqual([]);
      expect(first.failed).toEqual([{ tenantId: late.tenantId, error: expect.stringContaining(lock) }]);
      expect(await row()).toEqual({ status: "purging", wrapped_key: null });
      expect(existsSync(tenantBackupDir(backupDir, late.tenantId))).toBe(true);
    } finally {
      rmSync(lock, { force: true });
    }
    expect(await purgeClosedOrganisations(instance.services)).toEqual({ purged: [late.tenantId], failed: [], walShredded: true });
    expect(await row()).toEqual({ status: "purged", wrapped_key: null });
    expect(existsSync(tenantBackupDir(backupDir, late.tenantId))).toBe(false);
    const keyBytes = Buffer.from(wrapped!);
    expect(filesUnder(instance.dataDir).filter((path) => readFileSync(path).includes(keyBytes))).toEqual([]);
  });
});
