import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { sql, type Migration } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateToLatest } from "../../db/migrate";
import { kyselyFor, openSqlite } from "../../db/sqlite";
import { tenantMigrations } from "../../db/tenant/migrations";
import { tenantFilePath, tenantsDir } from "../../db/tenant/paths";
import { createUser } from "../auth/accounts";
import { backupAll } from "../backup/backup";
import { copyMissingBlobs, pruneBlobs } from "../backup/blobs";
import { controlBackupDir, manifestDir, manifestPath, stampsIn, tenantBackupDir, tenantBackupPath } from "../backup/layout";
import { restoreAll, restoreTenant, RestoreError } from "../backup/restore";
import { integrityCheck } from "../backup/sqlite-copy";
import { loadConfig } from "../config";
import { createHttpServer } from "../http/server";
import { createServices } from "../services";
import { createTenant } from "../tenants/create-tenant";
import { migrateAllTenants } from "../tenants/migrate-all";
import { deleteAccount } from "../privacy/delete-account";
import { inviteMember, STRONG_PASSWORD, userWithOrg } from "./support/accounts";
import { runTsx } from "./support/run-tsx";
import { Client } from "./support/client";
import { startInstance, type Instance } from "./support/instance";
import { tenantRows } from "./support/tenant-files";
import { orgWithData } from "./support/world";

const KEEP = 3;
const DAY = 86_400_000;

let instance: Instance;
let world: Awaited<ReturnType<typeof orgWithData>>;
let baseline: string[];
const extraDirs: string[] = [];

beforeAll(async () => {
  instance = await startInstance({ BACKUP_KEEP: String(KEEP) });
  world = await orgWithData(instance, "keepsafe");
  baseline = await clientNames(world.client, world.slug);
}, 60_000);

afterAll(async () => {
  await instance?.stop();
  for (const dir of extraDirs) rmSync(dir, { recursive: true, force: true });
});

const config = () => instance.services.config;
const clientNames = async (client: Client, slug: string) => {
  const res = await client.query("clients.list", { org: slug });
  expect(res.status).toBe(200);
  return (res.data as { name: string }[]).map((c) => c.name).sort();
};
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => (error instanceof RestoreError ? error.reason : error),
  );

/**
 * Appends audit rows numbered 1, 2, 3, ... (target_id) to a tenant file from another process, as
 * fast as it can, printing each number once its commit has returned: an acknowledged write.
 */
const WRITER = `
const Database = require(process.env.BETTER_SQLITE3);
const db = new Database(process.env.WRITER_FILE, { fileMustExist: true });
db.pragma("busy_timeout = 5000");
db.pragma("synchronous = NORMAL");
const insert = db.prepare("insert into audit_log (at, actor_kind, action, target_type, target_id, detail) values (?, 'user', 'load.write', 'load', ?, '{}')");
let k = 0;
let stop = false;
process.stdin.on("data", () => { stop = true; });
(function loop() {
  if (stop) { db.close(); return; }
  k++;
  insert.run(Date.now(), String(k));
  process.stdout.write(k + "\\n");
  setImmediate(loop);
})();
`;

function startWriter(file: string) {
  const child = spawn(process.execPath, ["-e", WRITER], {
    env: { ...process.env, WRITER_FILE: file, BETTER_SQLITE3: createRequire(import.meta.url).resolve("better-sqlite3") },
    stdio: ["pipe", "pipe", "inherit"],
  });
  let acked = 0;
  let buffered = "";
  const waiters: { n: number; resolve: () => void }[] = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) acked = Math.max(acked, Number(line));
    for (const w of waiters.splice(0)) (acked >= w.n ? w.resolve : () => waiters.push(w))();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return {
    get acked() {
      return acked;
    },
    reach: (n: number) => new Promise<void>((resolve) => (acked >= n ? resolve() : waiters.push({ n, resolve }))),
    async stop() {
      child.stdin.end("stop\n");
      return exited;
    },
  };
}

/** Writer rows in a database file: how many and the highest number; a consistent copy has exactly 1..max. */
function writerRows(file: string) {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare("select count(*) as n, coalesce(max(cast(target_id as integer)), 0) as max from audit_log where action = 'load.write'")
      .get() as { n: number; max: number };
  } finally {
    db.close();
  }
}

describe("backup under write load", () => {
  it("copies a consistent database while another process keeps writing, and restore brings back what was acknowledged first", async () => {
    const file = tenantFilePath(instance.dataDir, world.tenantId);
    // ~25 MB of history, so the copy takes many steps and the writer commits between them.
    const filler = openSqlite(file, { synchronous: "NORMAL", mustExist: true });
    const fill = filler.prepare("insert into audit_log (at, actor_kind, action, detail) values (?, 'user', 'load.fill', ?)");
    filler.transaction(() => {
      for (let i = 0; i < 6000; i++) fill.run(i, JSON.stringify({ pad: "x".repeat(4000), i }));
    })();
    filler.close();

    const writer = startWriter(file);
    await writer.reach(50);
    const acknowledgedBefore = writer.acked;
    const summary = await backupAll(instance.services);
    const acknowledgedAfter = writer.acked;
    await writer.reach(acknowledgedAfter + 20); // still writing after the backup: it was never blocked
    expect(await writer.stop()).toBe(0);

    expect(summary.failures).toEqual([]);
    const backup = tenantBackupPath(config().backupDir, world.tenantId, summary.stamp);
    expect(integrityCheck(backup)).toBe("ok");
    const inBackup = writerRows(backup);
    expect(inBackup.max).toBeGreaterThanOrEqual(acknowledgedBefore);
    expect(inBackup.n).toBe(inBackup.max); // no torn copy: rows 1..max, none missing
    expect(readdirSync(tenantBackupDir(config().backupDir, world.tenantId)).filter((n) => n.includes("partial"))).toEqual([]);
    expect(summary.tenants.find((t) => t.tenantId === world.tenantId)).toMatchObject({ blobs: 1, blobsCopied: 1, blobsMissing: 0 });

    const live = writerRows(file);
    expect(live.max).toBeGreaterThan(inBackup.max);
    const restored = await restoreTenant(instance.services, world.slug, { stamp: summary.stamp, force: true });
    expect(restored).toMatchObject({ replaced: true, stamp: summary.stamp });
    expect(writerRows(file)).toEqual(inBackup);
    expect(integrityCheck(file)).toBe("ok");
    // The server's handle sees the restored database.
    expect(await clientNames(world.client, world.slug)).toEqual(baseline);
  }, 60_000);

  it("writes backups readable only by the server's user, with a manifest of sizes and hashes", async () => {
    const summary = await backupAll(instance.services);
    const { backupDir } = config();
    for (const dir of [backupDir, controlBackupDir(backupDir), tenantBackupDir(backupDir, world.tenantId), manifestDir(backupDir)])
      expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const file of [
      join(controlBackupDir(backupDir), `${summary.stamp}.sqlite`),
      tenantBackupPath(backupDir, world.tenantId, summary.stamp),
    ]) {
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(existsSync(`${file}-wal`) || existsSync(`${file}-journal`)).toBe(false);
    }
    const manifest = JSON.parse(readFileSync(join(manifestDir(backupDir), `${summary.stamp}.json`), "utf8"));
    expect(manifest.tenants.find((t: { tenantId: string }) => t.tenantId === world.tenantId)).toMatchObject({
      bytes: expect.any(Number),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(manifest.control.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("restoring one organisation", () => {
  it("refuses to overwrite the live file without force, and changes nothing", async () => {
    instance.clock.advance(DAY);
    const { stamp } = await backupAll(instance.services);
    const added = await world.client.mutate("clients.create", { org: world.slug, name: "Added after the backup" });
    expect(added.status).toBe(200);

    expect(await refusal(restoreTenant(instance.services, world.slug, { stamp }))).toBe("live");
    expect(await clientNames(world.client, world.slug)).toEqual([...baseline, "Added after the backup"].sort());

    await restoreTenant(instance.services, world.slug, { stamp, force: true });
    expect(await clientNames(world.client, world.slug)).toEqual(baseline);
  });

  it("puts back a missing file and its attachment blobs without force", async () => {
    await instance.services.pool.close(world.tenantId);
    const file = tenantFilePath(instance.dataDir, world.tenantId);
    for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
    rmSync(join(instance.dataDir, "blobs", world.tenantId), { recursive: true, force: true });

    const restored = await restoreTenant(instance.services, world.tenantId);
    expect(restored).toMatchObject({ replaced: false, blobsRestored: 1, blobsMissing: 0 });
    expect(await clientNames(world.client, world.slug)).toEqual(baseline);
    const download = await fetch(`${instance.url}/api/files/${world.target.attachmentId}?org=${world.slug}`, {
      headers: { cookie: world.client.cookieHeader() },
    });
    expect(download.status).toBe(200);
    expect(await download.text()).toBe(`Notes for ${world.slug}\n`);
  });

  it("erases again a member who deleted their account after the backup", async () => {
    const NAME = "Philippa Vanishwell";
    const member = await inviteMember(instance, world.client, world.slug, "admin", {
      email: "philippa.vanishwell@example.test",
      name: NAME,
    });
    const task = await member.client.mutate("tasks.create", {
      org: world.slug,
      projectId: world.target.projectId,
      title: `Checklist by ${NAME}`,
    });
    expect(task.status).toBe(200);
    const { stamp } = await backupAll(instance.services, { org: world.slug });
    const { pseudonym } = await deleteAccount(instance.services, member.userId, { ip: "127.0.0.1", userAgent: "test" });

    const restored = await restoreTenant(instance.services, world.slug, { stamp, force: true });
    expect(restored).toMatchObject({ deletionsReapplied: [pseudonym], ownerless: false });
    // Found by id: her member row and the IPs of her audit rows; the title she typed is the organisation's record.
    const rows = (sql: string) => tenantRows(instance.dataDir, world.tenantId, sql);
    expect(rows(`select name, email, role from members where user_id = '${member.userId}'`)).toEqual([
      { name: pseudonym, email: `${pseudonym}@deleted.invalid`, role: "deleted" },
    ]);
    expect(rows(`select count(*) as n from audit_log where actor_id = '${member.userId}' and ip is not null`)).toEqual([{ n: 0 }]);
    expect(rows(`select title from tasks where title like 'Checklist by %'`)).toEqual([{ title: `Checklist by ${NAME}` }]);
    const members = await world.client.query("members.list", { org: world.slug });
    expect(JSON.stringify(members.data)).toContain(pseudonym);
    expect(JSON.stringify(members.data)).not.toContain("philippa.vanishwell@example.test");
    // Every restore of that backup erases them again.
    expect((await restoreTenant(instance.services, world.slug, { stamp, force: true })).deletionsReapplied).toEqual([pseudonym]);
  });

  it("refuses a purged organisation (its key is destroyed), an unknown one, a missing stamp and a tampered backup", async () => {
    const doomed = await userWithOrg(instance, "doomed");
    await backupAll(instance.services, { org: "doomed" });
    await instance.services.control
      .updateTable("tenants")
      .set({ status: "purged", wrapped_key: null, purged_at: Date.now() })
      .where("id", "=", doomed.tenantId)
      .execute();
    expect(await refusal(restoreTenant(instance.services, "doomed", { force: true }))).toBe("purged");
    expect(await refusal(restoreTenant(instance.services, "no-such-org", { force: true }))).toBe("unknown");
    expect(await refusal(restoreTenant(instance.services, world.slug, { stamp: "20000101T000000Z", force: true }))).toBe("no-backup");
    await expect(restoreTenant(instance.services, world.slug, { stamp: "../../etc/passwd", force: true })).rejects.toThrow(
      /not a backup stamp/,
    );

    const { stamp } = await backupAll(instance.services, { org: world.slug });
    const backup = tenantBackupPath(config().backupDir, world.tenantId, stamp);
    const bytes = readFileSync(backup);
    bytes[bytes.length - 100]! ^= 0xff;
    writeFileSync(backup, bytes);
    const before = await clientNames(world.client, world.slug);
    expect(await refusal(restoreTenant(instance.services, world.slug, { stamp, force: true }))).toBe("damaged");
    expect(await clientNames(world.client, world.slug)).toEqual(before);
    rmSync(backup);
  });

  it("migrates and checks a private staged copy first: a backup whose migration fails leaves the live database untouched", async () => {
    const { stamp } = await backupAll(instance.services, { org: world.slug });
    const added = await world.client.mutate("clients.create", { org: world.slug, name: "Added before a failed restore" });
    expect(added.status).toBe(200);
    const before = await clientNames(world.client, world.slug);
    const failing: Migration = {
      async up(db) {
        await sql`create table half_done (x integer)`.execute(db);
        throw new Error("boom");
      },
    };
    const migrations = { ...tenantMigrations, "9999z_test_failing": failing };

    await expect(restoreTenant(instance.services, world.slug, { stamp, force: true, migrations })).rejects.toThrow(
      /9999z_test_failing failed: boom/,
    );
    expect(await refusal(restoreTenant(instance.services, world.slug, { stamp, force: true, migrations }))).toBe("migration");
    expect(await clientNames(world.client, world.slug)).toEqual(before);
    const file = tenantFilePath(instance.dataDir, world.tenantId);
    const live = new Database(file, { readonly: true });
    expect(live.prepare("select name from sqlite_master where name = 'half_done'").get()).toBeUndefined();
    live.close();
    // No staged copy (or its journal) is left beside the live file.
    expect(
      readdirSync(tenantsDir(instance.dataDir)).filter((n) => n.startsWith(world.tenantId) && !/\.sqlite(-wal|-shm)?$/.test(n)),
    ).toEqual([]);

    // The same backup with this version's migrations goes through the staged copy into the live file.
    const restored = await restoreTenant(instance.services, world.slug, { stamp, force: true });
    expect(restored).toMatchObject({ replaced: true, stamp });
    expect(await clientNames(world.client, world.slug)).toEqual(before.filter((n) => n !== "Added before a failed restore"));
    expect(integrityCheck(file)).toBe("ok");
    expect(
      readdirSync(tenantsDir(instance.dataDir)).filter((n) => n.startsWith(world.tenantId) && !/\.sqlite(-wal|-shm)?$/.test(n)),
    ).toEqual([]);
  });

  it("refuses a backup whose sha256 cannot be checked: no manifest, or a manifest that does not list the file", async () => {
    const { stamp } = await backupAll(instance.services, { org: world.slug });
    const manifest = manifestPath(config().backupDir, stamp);
    const listed = readFileSync(manifest, "utf8");
    const added = await world.client.mutate("clients.create", { org: world.slug, name: "Added before an unverifiable restore" });
    expect(added.status).toBe(200);
    const before = await clientNames(world.client, world.slug);

    rmSync(manifest);
    await expect(restoreTenant(instance.services, world.slug, { stamp, force: true })).rejects.toThrow(/no manifest/);
    expect(await refusal(restoreTenant(instance.services, world.slug, { stamp, force: true }))).toBe("unverified");
    writeFileSync(manifest, JSON.stringify({ ...JSON.parse(listed), tenants: [] }));
    await expect(restoreTenant(instance.services, world.slug, { stamp, force: true })).rejects.toThrow(/does not list/);
    expect(await clientNames(world.client, world.slug)).toEqual(before);

    writeFileSync(manifest, listed);
    await restoreTenant(instance.services, world.slug, { stamp, force: true });
    expect(await clientNames(world.client, world.slug)).toEqual(before.filter((n) => n !== "Added before an unverifiable restore"));
  });
});

describe("rotation", () => {
  it("keeps the newest BACKUP_KEEP backups, lets a purged organisation's backups and deleted blobs age out", async () => {
    const { backupDir } = config();
    const doomed = await instance.services.control
      .selectFrom("tenants")
      .select("id")
      .where("slug", "=", "doomed")
      .executeTakeFirstOrThrow();
    expect(stampsIn(tenantBackupDir(backupDir, doomed.id)).length).toBe(1);
    const blobs = join(backupDir, "blobs", world.tenantId);
    expect(readdirSync(blobs)).toHaveLength(1);
    const removed = await world.client.mutate("files.delete", { org: world.slug, id: world.target.attachmentId });
    expect(removed.status).toBe(200);

    for (let i = 0; i < KEEP + 1; i++) {
      instance.clock.advance(DAY);
      expect((await backupAll(instance.services)).failures).toEqual([]);
    }
    expect(stampsIn(controlBackupDir(backupDir))).toHaveLength(KEEP);
    expect(stampsIn(tenantBackupDir(backupDir, world.tenantId))).toHaveLength(KEEP);
    expect(readdirSync(manifestDir(backupDir)).length).toBeLessThanOrEqual(KEEP + 1);
    // No kept backup names the deleted file any more, so its blob is gone from the backups too.
    expect(existsSync(blobs) ? readdirSync(blobs) : []).toEqual([]);
    // The purged organisation's backup predates every kept control backup: removed.
    expect(existsSync(tenantBackupDir(backupDir, doomed.id))).toBe(false);
  });

  it("never rotates away an organisation's file of a kept full run, however many single-organisation backups follow", async () => {
    const { backupDir } = config();
    for (let i = 0; i < KEEP; i++) {
      instance.clock.advance(DAY);
      expect((await backupAll(instance.services)).failures).toEqual([]);
    }
    const full = stampsIn(controlBackupDir(backupDir));
    expect(full).toHaveLength(KEEP);
    const single: string[] = [];
    for (let i = 0; i < KEEP + 1; i++) {
      instance.clock.advance(60_000);
      single.push((await backupAll(instance.services, { org: world.slug })).stamp);
    }
    const kept = stampsIn(tenantBackupDir(backupDir, world.tenantId));
    expect(kept).toEqual(expect.arrayContaining([...full, ...single.slice(-KEEP)]));
    expect(kept).not.toContain(single[0]);

    const dataDir = mkdtempSync(join(tmpdir(), "opslayer-rotation-restore-"));
    extraDirs.push(dataDir);
    const restored = await restoreAll({ ...config(), dataDir }, { stamp: full[0] });
    expect(restored).toMatchObject({ stamp: full[0], missing: [] });
    expect(restored.tenants.map((t) => t.slug)).toEqual([world.slug]);
  });
});

describe("restoring everything", () => {
  it("brings back a working instance in an empty DATA_DIR, and refuses to overwrite live files without force", async () => {
    instance.clock.advance(DAY);
    const summary = await backupAll(instance.services);
    expect(summary.failures).toEqual([]);
    const dataDir = mkdtempSync(join(tmpdir(), "opslayer-restore-"));
    extraDirs.push(dataDir);
    const restoredConfig = loadConfig({
      NODE_ENV: "test",
      DATA_DIR: dataDir,
      BACKUP_DIR: config().backupDir,
      MASTER_KEY_FILE: config().masterKeyFile!,
      PORT: "0",
    });

    const result = await restoreAll(restoredConfig);
    expect(result.stamp).toBe(summary.stamp);
    expect(result.tenants.map((t) => t.slug).sort()).toEqual([world.slug]);
    expect(result).toMatchObject({ missing: [], replaced: 0 });
    expect(await refusal(restoreAll(restoredConfig))).toBe("live");

    const services = await createServices(restoredConfig, { log: () => {} });
    const server: Server = createHttpServer(services);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const address = server.address();
      const client = new Client(`http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`);
      const login = await client.mutate("auth.login", { email: world.email, password: STRONG_PASSWORD });
      expect(login.status).toBe(200);
      expect(await clientNames(client, world.slug)).toEqual(baseline);
      await expect(services.keys.dataKeyFor(world.tenantId)).resolves.toBeTruthy();
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await services.close();
    }
    const forced = await restoreAll(restoredConfig, { force: true });
    expect(forced.replaced).toBe(2);
    expect(integrityCheck(join(dataDir, "control.sqlite"))).toBe("ok");
  });
});

describe("backup and restore CLI", () => {
  const cli = (args: string[]) =>
    runTsx("server/cli/main.ts", args, {
      env: {
        ...process.env,
        NODE_ENV: "test",
        DATA_DIR: instance.dataDir,
        MASTER_KEY_FILE: config().masterKeyFile!,
        BACKUP_KEEP: String(KEEP),
      },
    });

  it("backs up while the server runs, lists backups, and exits 73 rather than overwrite a live file", async () => {
    const backup = await cli(["backup", "--org", world.slug]);
    expect(backup.status).toBe(0);
    expect(backup.stdout).toMatch(/Backed up 1 organisation .* 0 failed\./);
    const listed = await cli(["restore", "--list", "--org", world.slug]);
    expect(listed.status).toBe(0);
    expect(listed.stdout.trim().split("\n").length).toBeGreaterThanOrEqual(2);
    const refused = await cli(["restore", "--org", world.slug]);
    expect(refused.status).toBe(73);
    expect(refused.stderr).toContain("--force");
    expect((await cli(["restore", "--org", world.slug, "--all"])).status).toBe(64);
  }, 60_000);
});

describe("migrate --all", () => {
  it("skips a current file, migrates a pending one, and reports a corrupt one while the others complete", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "opslayer-migrate-all-"));
    extraDirs.push(dataDir);
    const services = await createServices(loadConfig({ NODE_ENV: "test", DATA_DIR: dataDir }), { log: () => {} });
    try {
      const owner = await createUser(services, {
        name: "Owner",
        email: "owner@example.test",
        password: STRONG_PASSWORD,
        isStaff: false,
        verified: true,
      });
      const info = { ip: "127.0.0.1", userAgent: "test" };
      const current = await createTenant(services, owner, { name: "Current", slug: "current" }, info);
      const pending = await createTenant(services, owner, { name: "Pending", slug: "pending" }, info);
      const corrupt = await createTenant(services, owner, { name: "Corrupt", slug: "corrupt" }, info);
      await services.pool.closeAll();

      let ran = 0;
      const extra: Migration = {
        async up(db) {
          ran++;
          await sql`create index audit_log_action on audit_log (action)`.execute(db);
        },
      };
      const migrations = { ...tenantMigrations, "9999_test_extra": extra };
      const pre = kyselyFor(openSqlite(tenantFilePath(dataDir, current.id), { synchronous: "FULL", mustExist: true }));
      await migrateToLatest(pre, migrations, "pre");
      await pre.destroy();
      expect(ran).toBe(1);
      writeFileSync(tenantFilePath(dataDir, corrupt.id), Buffer.alloc(8192, 0x5a));
      for (const suffix of ["-wal", "-shm"]) rmSync(tenantFilePath(dataDir, corrupt.id) + suffix, { force: true });

      const progress: string[] = [];
      const result = await migrateAllTenants(services, { migrations, onProgress: (p) => progress.push(p.slug) });
      expect(result).toMatchObject({ total: 3, upToDate: 1, migrated: 1 });
      expect(result.failed).toEqual([{ slug: "corrupt", tenantId: corrupt.id, error: expect.stringMatching(/not a database/) }]);
      expect(ran).toBe(2); // only the pending file ran the migration
      const db = new Database(tenantFilePath(dataDir, pending.id), { readonly: true });
      expect(db.prepare("select name from kysely_migration order by name desc limit 1").pluck().get()).toBe("9999_test_extra");
      db.close();
      expect(progress).toEqual(["corrupt", "current", "pending", ""]);

      // Run again: everything that can be is current, and nothing runs.
      const again = await migrateAllTenants(services, { migrations });
      expect(again).toMatchObject({ upToDate: 2, migrated: 0 });
      expect(ran).toBe(2);
      // A file migrated by a newer version is an error, not "pending".
      const older = await migrateAllTenants(services);
      expect(older.failed.map((f) => f.slug).sort()).toEqual(["corrupt", "current", "pending"]);
      expect(older.failed.find((f) => f.slug === "current")?.error).toMatch(/newer than this version knows/);

      // A migration that fails half-way leaves the file exactly as it was.
      const failing: Migration = {
        async up(db) {
          await sql`create table half_done (x integer)`.execute(db);
          throw new Error("boom");
        },
      };
      const broken = await migrateAllTenants(services, { migrations: { ...migrations, "9999z_test_failing": failing } });
      expect(broken.failed.find((f) => f.slug === "pending")?.error).toMatch(/9999z_test_failing failed: boom/);
      const after = new Database(tenantFilePath(dataDir, pending.id), { readonly: true });
      expect(after.prepare("select name from sqlite_master where name = 'half_done'").get()).toBeUndefined();
      expect(after.prepare("select max(name) from kysely_migration").pluck().get()).toBe("9999_test_extra");
      after.close();
    } finally {
      await services.close();
    }
  });
});

describe("attachment blobs in backups", () => {
  const blobFixture = (count: number) => {
    const root = mkdtempSync(join(tmpdir(), "opslayer-blobs-"));
    extraDirs.push(root);
    const from = join(root, "from");
    mkdirSync(from);
    const names = Array.from({ length: count }, (_, i) => i.toString(16).padStart(32, "0"));
    for (const name of names) writeFileSync(join(from, name), Buffer.alloc(64 * 1024, name));
    return { from, to: join(root, "to"), names };
  };

  it("copies blobs asynchronously, handing the event loop back between blobs", async () => {
    const { from, to, names } = blobFixture(8);
    let ticks = 0;
    let running = true;
    const tick = () => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const pending = copyMissingBlobs(names, from, to);
    expect(pending).toBeInstanceOf(Promise);
    const result = await pending;
    running = false;
    expect(result).toEqual({ copied: names.length, missing: [] });
    // Each blob is at least a copy, a sync and a rename on libuv's thread pool: the loop turns in between.
    expect(ticks).toBeGreaterThanOrEqual(names.length);
    expect(readdirSync(to).sort()).toEqual(names);
    for (const name of names) expect(statSync(join(to, name)).mode & 0o777).toBe(0o600);
  });

  it("pruning deletes only blob names: another run's temporary copies stay", () => {
    const { from, names } = blobFixture(2);
    const tmp = join(from, `.${names[0]}.0badf00d.tmp`);
    writeFileSync(tmp, "in progress");
    expect(pruneBlobs(from, new Set([names[0]!]))).toBe(1);
    expect(readdirSync(from).sort()).toEqual([`.${names[0]}.0badf00d.tmp`, names[0]].sort());
  });
});

describe("overlapping backup runs", () => {
  it("refuses a second run while another holds the lock, naming the lock file, and takes over a stale lock", async () => {
    const lock = join(config().backupDir, "backup.lock");
    writeFileSync(lock, `${JSON.stringify({ pid: 999999, host: "elsewhere", at: new Date().toISOString() })}\n`, { flag: "wx" });
    try {
      await expect(backupAll(instance.services)).rejects.toThrow(lock);
      await expect(backupAll(instance.services, { org: world.slug })).rejects.toThrow(/another backup is running/);
      expect(existsSync(lock)).toBe(true);

      const sevenHoursAgo = new Date(Date.now() - 7 * 3_600_000);
      utimesSync(lock, sevenHoursAgo, sevenHoursAgo);
      instance.clock.advance(DAY);
      expect((await backupAll(instance.services)).failures).toEqual([]);
      // The run released the lock it took over.
      expect(existsSync(lock)).toBe(false);
    } finally {
      rmSync(lock, { force: true });
    }
  });

  it("takes over at once a fresh lock whose process on this host has exited", async () => {
    const child = spawn(process.execPath, ["-e", ""]);
    const pid = child.pid!;
    await new Promise((resolve) => child.on("exit", resolve));
    const lock = join(config().backupDir, "backup.lock");
    writeFileSync(lock, `${JSON.stringify({ pid, host: hostname(), at: new Date().toISOString() })}\n`, { flag: "wx" });
    try {
      instance.clock.advance(DAY);
      expect((await backupAll(instance.services, { org: world.slug })).failures).toEqual([]);
      expect(existsSync(lock)).toBe(false);
    } finally {
      rmSync(lock, { force: true });
    }
  });
});
