import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenantFilePath } from "../../db/tenant/paths";
import { backupAll } from "../backup/backup";
import { contentDigest, digestDifference } from "../backup/content-digest";
import { restoreTenant, RestoreError } from "../backup/restore";
import { runRetention } from "../jobs/retention";
import { ServerControl } from "../process/control-socket";
import { controlSocketPath, DataDirInUseError, holdDataDir, runningServer } from "../process/data-dir-lock";
import { userWithOrg, verifiedUser } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import { runAsServer } from "./support/running-server";
import { runTsx } from "./support/run-tsx";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "opslayer-lock-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A process holding DATA_DIR as the server does, until it is killed. */
function holder(dataDir: string, port: number) {
  const child = spawn(process.execPath, ["--import", "tsx", "server/test/support/hold-data-dir.ts", dataDir, String(port)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const held = new Promise<number>((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      const m = /held (\d+)/.exec(chunk);
      if (m) resolve(Number(m[1]));
    });
    child.on("exit", (code) => reject(new Error(`holder exited with ${code}`)));
  });
  return { held, exited, kill: () => child.kill("SIGKILL") };
}

describe("the server's lock on DATA_DIR", () => {
  it("says no server runs when none ever did, and when a server.json is left without a live lock", () => {
    const dir = tempDir();
    expect(runningServer(dir)).toBeNull();
    writeFileSync(join(dir, "server.json"), JSON.stringify({ pid: process.pid, port: 3000, keyIds: [] }));
    expect(runningServer(dir)).toBeNull();
  });

  it("names the holder (pid, port, key ids) while it lives, refuses a second holder, and is free again once it is killed -9", async () => {
    const dir = tempDir();
    const h = holder(dir, 4321);
    const pid = await h.held;
    expect(runningServer(dir)).toMatchObject({ pid, port: 4321, keyIds: ["00112233aabbccdd"] });
    let refusal: unknown;
    try {
      holdDataDir(dir).release();
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DataDirInUseError);
    expect((refusal as Error).message).toContain(`pid ${pid}, port 4321`);

    h.kill();
    await h.exited;
    // The info file of the dead server is still there; only the lock says whether it lives.
    expect(existsSync(join(dir, "server.json"))).toBe(true);
    expect(runningServer(dir)).toBeNull();
    const mine = holdDataDir(dir, { port: 1 });
    expect(runningServer(dir)).toMatchObject({ pid: process.pid, port: 1 });
    mine.release();
    expect(existsSync(join(dir, "server.json"))).toBe(false);
    expect(runningServer(dir)).toBeNull();
  }, 30_000);
});

describe("with a server running on DATA_DIR", () => {
  let instance: Instance;
  let server: Awaited<ReturnType<typeof runAsServer>>;
  let owner: Awaited<ReturnType<typeof userWithOrg>>;
  let fileId: string;

  beforeAll(async () => {
    instance = await startInstance();
    server = await runAsServer(instance);
    owner = await userWithOrg(instance, "inservice");
    const client = await owner.client.mutate("clients.create", { org: owner.slug, name: "Kept" });
    const project = await owner.client.mutate("projects.create", { org: owner.slug, clientId: client.data.id, name: "P", code: "p-1" });
    const upload = await fetch(
      `${instance.url}/api/files/upload?${new URLSearchParams({ org: owner.slug, target: "project", id: project.data.id, name: "a.txt" })}`,
      { method: "POST", body: "hello", headers: { cookie: owner.client.cookieHeader(), origin: instance.url } },
    );
    expect(upload.status).toBe(201);
    fileId = ((await upload.json()) as { file: { id: string } }).file.id;
  }, 60_000);
  afterAll(async () => {
    await server?.release();
    await instance?.stop();
  });

  const cli = (args: string[]) =>
    runTsx("server/cli/main.ts", args, {
      env: { ...process.env, NODE_ENV: "test", DATA_DIR: instance.dataDir, MASTER_KEY_FILE: instance.services.config.masterKeyFile! },
    });

  it("publishes pid, port, loaded key ids and an owner-only control socket", () => {
    const port = Number(new URL(instance.url).port);
    expect(runningServer(instance.dataDir)).toEqual({
      pid: process.pid,
      port,
      startedAt: expect.any(String),
      keyIds: [instance.services.keys.master.hex],
      controlSocket: controlSocketPath(instance.dataDir),
    });
    expect(statSync(dirname(controlSocketPath(instance.dataDir))).mode & 0o777).toBe(0o700);
    expect(statSync(controlSocketPath(instance.dataDir)).mode & 0o777).toBe(0o600);
  });

  it("takes an organisation out of service on request: 503 being restored with Retry-After, handle closed, jobs skip it; back when the command's connection closes", async () => {
    const { pool } = instance.services;
    expect((await owner.client.query("clients.list", { org: owner.slug })).status).toBe(200);
    expect(pool.isOpen(owner.tenantId)).toBe(true);

    const control = await ServerControl.connect(controlSocketPath(instance.dataDir));
    expect(await control.request({ op: "out-of-service", tenantId: owner.tenantId, reason: "being restored" })).toEqual({ ok: true });
    expect(pool.isOpen(owner.tenantId)).toBe(false);
    const opens = pool.opens;

    const query = await owner.client.raw("GET", `/api/trpc/clients.list?input=${encodeURIComponent(JSON.stringify({ org: owner.slug }))}`);
    expect(query.status).toBe(503);
    expect(query.headers.get("retry-after")).toBe("10");
    expect(JSON.stringify(await query.json())).toContain("This organisation is being restored");
    const write = await owner.client.mutate("clients.create", { org: owner.slug, name: "During" });
    expect(write.status).toBe(503);
    const download = await fetch(`${instance.url}/api/files/${fileId}?org=${owner.slug}`, {
      headers: { cookie: owner.client.cookieHeader() },
    });
    expect(download.status).toBe(503);
    expect(download.headers.get("retry-after")).toBe("10");
    // Someone without access learns nothing: still "not found", not "being restored".
    const outsider = await verifiedUser(instance, "Outsider");
    expect((await outsider.client.query("clients.list", { org: owner.slug })).status).toBe(404);
    // The hourly retention job skips it without failing, and nothing opened the file.
    await expect(runRetention(instance.services)).resolves.toMatchObject({ organisations: expect.any(Number) });
    expect(pool.opens).toBe(opens);

    // A second command cannot take the same organisation: one restore at a time.
    const other = await ServerControl.connect(controlSocketPath(instance.dataDir));
    expect(await other.request({ op: "out-of-service", tenantId: owner.tenantId })).toMatchObject({
      ok: false,
      error: expect.stringContaining("already out of service"),
    });
    expect(await other.request({ op: "in-service", tenantId: owner.tenantId })).toMatchObject({ ok: false });
    expect(await other.request({ op: "drop-tables" } as never)).toMatchObject({ ok: false, error: expect.stringContaining("unknown op") });
    await other.close();
    expect(pool.isOutOfService(owner.tenantId)).toBe(true);

    await control.close(); // a command that dies half way puts it back the same way
    await expect.poll(() => pool.isOutOfService(owner.tenantId)).toBe(false);
    const after = await owner.client.query("clients.list", { org: owner.slug });
    expect(after.status).toBe(200);
    expect((after.data as { name: string }[]).map((c) => c.name)).toEqual(["Kept"]);
  }, 60_000);

  it("out of service waits for the requests holding the handle (a plain close does not, so a procedure can close its own organisation)", async () => {
    const { pool } = instance.services;
    const held = await pool.acquire(owner.tenantId);
    await pool.close(owner.tenantId); // returns although `held` is still leased
    const again = await pool.acquire(owner.tenantId); // a new handle
    let settled = false;
    const out = pool.takeOutOfService(owner.tenantId, "being restored").then(() => (settled = true));
    await expect(pool.acquire(owner.tenantId)).rejects.toThrow("out of service (being restored)");
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    again.release();
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false); // the handle the earlier close left to its request is still open
    held.release();
    await out;
    expect(pool.isOpen(owner.tenantId)).toBe(false);
    await expect(pool.takeOutOfService(owner.tenantId, "twice")).rejects.toThrow("already out of service");
    expect(pool.returnToService(owner.tenantId)).toBe(true);
    (await pool.acquire(owner.tenantId)).release();
  });

  it("restore --all refuses with a sentence naming the server, exit 73, and changes nothing", async () => {
    await backupAll(instance.services);
    const before = contentDigest(join(instance.dataDir, "control.sqlite"));
    const refused = await cli(["restore", "--all", "--force"]);
    expect(refused.status).toBe(73);
    expect(refused.stderr).toContain(`pid ${process.pid}, port ${new URL(instance.url).port}`);
    expect(refused.stderr).toContain("Stop the server");
    expect(digestDifference(before, contentDigest(join(instance.dataDir, "control.sqlite")))).toBeNull();
  }, 60_000);

  it("restore --org exits 1 with a sentence, and the organisation back in service, when the live file stays locked", async () => {
    const summary = await backupAll(instance.services, { org: owner.slug });
    expect(summary.failures).toEqual([]);
    const live = tenantFilePath(instance.dataDir, owner.tenantId);
    // Another process's writer (here: a connection of its own) holds the write lock throughout.
    const blocker = new Database(live);
    blocker.exec("begin immediate");
    let error: unknown;
    try {
      await restoreTenant(instance.services, owner.slug, { force: true, busyRetries: 1 });
    } catch (e) {
      error = e;
    } finally {
      blocker.exec("rollback");
      blocker.close();
    }
    expect(error).toBeInstanceOf(RestoreError);
    expect((error as RestoreError).reason).toBe("not-restored");
    expect((error as Error).message).toMatch(/was not restored: .* stayed locked by another writer/);
    expect(instance.services.pool.isOutOfService(owner.tenantId)).toBe(false);
    expect((await owner.client.query("clients.list", { org: owner.slug })).status).toBe(200);
  }, 60_000);
});

describe("the content check", () => {
  it("finds a copy equal to its source, and names the table where one row differs", () => {
    const dir = tempDir();
    const a = join(dir, "a.sqlite");
    const db = new Database(a);
    db.exec("create table t (id integer primary key, v text); create table w (k text primary key, n integer) without rowid");
    db.exec("insert into t (v) values ('x'), ('y'); insert into w values ('a', 9007199254740993)");
    db.close();
    const b = join(dir, "b.sqlite");
    copyFileSync(a, b);
    expect(digestDifference(contentDigest(a), contentDigest(b))).toBeNull();
    const edit = new Database(b);
    edit.exec("update w set n = 9007199254740992");
    edit.close();
    expect(digestDifference(contentDigest(a), contentDigest(b))).toBe(
      "table w holds other content than the backup (same 1 rows, different checksum)",
    );
    const more = new Database(b);
    more.exec("insert into t (v) values ('z')");
    more.close();
    expect(digestDifference(contentDigest(a), contentDigest(b))).toMatch(
      /^table t has 3 rows in the live file where the backup has 2$|pages/,
    );
  });
});
