import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmdirSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupAll } from "../backup/backup";
import { ballastPath } from "../storage/ballast";
import { STORAGE_FULL_MESSAGE } from "../storage/storage-full";
import { STRONG_PASSWORD, userWithOrg, verifiedUser } from "./support/accounts";
import { Client } from "./support/client";
import { startInstance, type Instance } from "./support/instance";

/**
 * A real instance whose DATA_DIR is a 64 MB tmpfs, filled by several organisations through the API
 * (tasks with long descriptions, and uploads) until the server refuses; then space is freed by
 * deleting a file this test wrote beside the app's, and the server must recover without a restart.
 */

const MiB = 1024 * 1024;
const SIZE_MB = 64;
const BALLAST_MB = 8;
const FILLER_MB = 16;
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const INTERNAL = /sqlite|rollback|transaction|enospc|errno|stack|internal/i;

/** Mounts the tmpfs, or says why not (not root, no CAP_SYS_ADMIN in a container, no tmpfs). */
function mountTmpfs(): { dir: string; reason: null } | { dir: null; reason: string } {
  const dir = mkdtempSync(join(tmpdir(), "opslayer-diskfull-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${SIZE_MB}m,mode=0700`, "tmpfs", dir], { stdio: "pipe" });
    return { dir, reason: null };
  } catch (error) {
    rmdirSync(dir);
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return { dir: null, reason: stderr || (error as Error).message };
  }
}

const mount = mountTmpfs();
if (mount.reason) console.log(`[disk-full] skipped: cannot mount a ${SIZE_MB} MB tmpfs here (${mount.reason})`);

interface Org {
  slug: string;
  tenantId: string;
  email: string;
  client: Client;
  projectId: string;
  taskIds: string[];
  files: { id: string; sha256: string }[];
}

describe.skipIf(mount.dir === null)("the disk fills up under writes and uploads", () => {
  const dataDir = mount.dir!;
  const filler = join(dataDir, "filler.bin");
  let instance: Instance;
  let staffEmail: string;
  const orgs: Org[] = [];
  const refusals: { status: number; body: string }[] = [];
  const stats = { tasksAcked: 0, uploadsAcked: 0, uploadBytes: 0, uploadsRefused: 0, tasksRefused: 0, tasksAckedDuringEpisode: 0 };

  async function upload(org: Org, bytes: number) {
    const data = Buffer.concat([PNG, randomBytes(bytes - PNG.length)]);
    const q = new URLSearchParams({ org: org.slug, target: "project", id: org.projectId, name: `fill-${orgs.length}.png` });
    const res = await fetch(`${instance.url}/api/files/upload?${q}`, {
      method: "POST",
      body: data,
      headers: { cookie: org.client.cookieHeader(), origin: instance.url, "content-type": "application/octet-stream" },
    });
    const body = await res.text();
    if (res.status === 201) {
      const id = (JSON.parse(body) as { file: { id: string } }).file.id;
      org.files.push({ id, sha256: createHash("sha256").update(data).digest("hex") });
      stats.uploadsAcked++;
      stats.uploadBytes += bytes;
    } else {
      refusals.push({ status: res.status, body });
      stats.uploadsRefused++;
    }
    return res.status;
  }

  async function createTask(org: Org, n: number) {
    // Random text: it does not compress, so each write really takes ~16 kB of pages.
    const description = randomBytes(6000).toString("base64").slice(0, 8000) + randomBytes(6000).toString("hex");
    const res = await org.client.mutate("tasks.create", { org: org.slug, projectId: org.projectId, title: `Fill ${n}`, description });
    if (res.status === 200) {
      org.taskIds.push(res.data.id as string);
      stats.tasksAcked++;
      if (instance.services.disk.full) stats.tasksAckedDuringEpisode++;
    } else {
      refusals.push({ status: res.status, body: JSON.stringify(res.error) });
      stats.tasksRefused++;
    }
    return res.status;
  }

  beforeAll(async () => {
    // Space to free later, written outside the app, into the same filesystem.
    writeFileSync(filler, randomBytes(FILLER_MB * MiB));
    instance = await startInstance({
      DATA_DIR: dataDir,
      DISK_BALLAST_MB: String(BALLAST_MB),
      DISK_WATERMARK_PERCENT: "5",
      SUPPORT_EMAIL: "ops@example.test",
    });
    await instance.services.disk.prepare();
    const staff = await verifiedUser(instance, "Platform Operator");
    staffEmail = staff.email;
    await instance.services.control.updateTable("users").set({ is_staff: 1 }).where("email", "=", staffEmail).execute();
    for (const slug of ["full-a", "full-b", "full-c"]) {
      const owner = await userWithOrg(instance, slug);
      const client = await owner.client.mutate("clients.create", { org: slug, name: "Client", contactEmail: `c@${slug}.test` });
      const project = await owner.client.mutate("projects.create", {
        org: slug,
        clientId: client.data.id,
        name: "Project",
        code: `${slug}-1`,
      });
      if (project.status !== 200) throw new Error(`seeding ${slug}: ${JSON.stringify(project.error)}`);
      orgs.push({
        slug,
        tenantId: owner.tenantId,
        email: owner.email,
        client: owner.client,
        projectId: project.data.id,
        taskIds: [],
        files: [],
      });
    }
  }, 120_000);

  let stopped = false;
  afterAll(async () => {
    if (!stopped) await instance?.stop();
    execFileSync("umount", [dataDir]);
    rmdirSync(dataDir);
  });

  it("keeps a ballast of real blocks in DATA_DIR while there is room", () => {
    const s = statSync(ballastPath(dataDir));
    expect(s.size).toBe(BALLAST_MB * MiB);
    expect(s.blocks * 512).toBeGreaterThanOrEqual(BALLAST_MB * MiB);
  });

  it("answers 507 to an upload that runs out of space mid-body, keeps no part of it, and recovers at once", async () => {
    // Over the watermark, so it is accepted up front; bigger than the free space, so the disk fills.
    const free = instance.services.disk.status().freeBytes;
    expect(await upload(orgs[0]!, free + 4 * MiB)).toBe(507);
    const refusal = refusals.pop()!;
    stats.uploadsRefused--;
    expect(JSON.parse(refusal.body)).toEqual({ error: { message: STORAGE_FULL_MESSAGE, code: "STORAGE_FULL" } });
    expect(readdirSync(join(dataDir, "blobs", orgs[0]!.tenantId)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(instance.logs.join("\n")).toMatch(/storage full: Error: ENOSPC/);
    // Its temporary file is gone, so the room is back: the next look ends that short episode.
    expect(await upload(orgs[0]!, 256 * 1024)).toBe(201);
    expect(instance.services.disk.full).toBe(false);
  }, 120_000);

  it("refuses uploads up front under the watermark with 507 and the sentence", async () => {
    // Rounds of one upload per organisation at a time, until every organisation is refused.
    for (let round = 0; round < 200; round++) {
      const statuses = await Promise.all(orgs.map((org) => upload(org, 512 * 1024)));
      if (statuses.every((s) => s === 507)) break;
      for (const s of statuses) expect([201, 507]).toContain(s);
    }
    expect(stats.uploadsAcked).toBeGreaterThan(10);
    expect(stats.uploadsRefused).toBeGreaterThanOrEqual(orgs.length);
    expect(instance.services.disk.status().storage).toBe("low");
    // Under the watermark, not yet full: small writes still go through.
    expect(await createTask(orgs[0]!, 0)).toBe(200);
  }, 300_000);

  it("keeps accepting small writes until the disk is full, then answers 507 with the sentence", async () => {
    let consecutive = 0;
    for (let n = 1; n < 20_000 && consecutive < 30; n++) {
      const statuses = await Promise.all(orgs.map((org) => createTask(org, n)));
      for (const s of statuses) expect([200, 507]).toContain(s);
      consecutive = statuses.every((s) => s === 507) ? consecutive + 1 : 0;
    }
    expect(consecutive).toBe(30);
    expect(instance.services.disk.full).toBe(true);
    for (const r of refusals) {
      expect(r.status).toBe(507);
      const error = JSON.parse(r.body) as { message: string; code: string; error?: { message: string; code: string } };
      const { message, code } = error.error ?? error;
      expect(message).toBe(STORAGE_FULL_MESSAGE);
      expect(code).toBe("STORAGE_FULL");
      expect(r.body.replace(STORAGE_FULL_MESSAGE, "")).not.toMatch(INTERNAL);
    }
    // The real error is what was logged, once per failure, never the failed ROLLBACK.
    const logged = instance.logs.join("\n");
    expect(logged).toMatch(/SQLITE_FULL|ENOSPC/);
    expect(logged).not.toContain("cannot rollback");
    console.log(`[disk-full] acknowledged before refusals: ${JSON.stringify(stats)}; refusals ${refusals.length}`);
  }, 600_000);

  it("keeps reads and logins working while full, and says so on /readyz", async () => {
    for (const org of orgs) {
      const task = await org.client.query("tasks.get", { org: org.slug, id: org.taskIds.at(-1) });
      expect(task.status).toBe(200);
      const file = org.files[0]!;
      const res = await fetch(`${instance.url}/api/files/${file.id}?${new URLSearchParams({ org: org.slug })}`, {
        headers: { cookie: org.client.cookieHeader() },
      });
      expect(res.status).toBe(200);
      expect(
        createHash("sha256")
          .update(Buffer.from(await res.arrayBuffer()))
          .digest("hex"),
      ).toBe(file.sha256);
    }

    // A new session is a write to the control database: the released ballast left room for it.
    const fresh = new Client(instance.url);
    const login = await fresh.mutate("auth.login", { email: orgs[1]!.email, password: STRONG_PASSWORD });
    expect(login.status).toBe(200);
    expect(login.setCookies.length).toBeGreaterThan(0);
    const list = await fresh.query("tasks.list", { org: orgs[1]!.slug });
    expect(list.status).toBe(200);
    // Still full for everything else, and large writes are refused before they start.
    expect(await createTask(orgs[1]!, -1)).toBe(507);
    refusals.pop();
    const exportStart = await orgs[1]!.client.mutate("exports.start", { org: orgs[1]!.slug });
    expect(exportStart.status).toBe(507);
    expect(exportStart.error).toMatchObject({ message: STORAGE_FULL_MESSAGE, code: "STORAGE_FULL" });
    await expect(backupAll(instance.services)).rejects.toThrow(STORAGE_FULL_MESSAGE);
    expect(existsSync(join(dataDir, "backups"))).toBe(false);

    const ready = await fetch(`${instance.url}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { reason: string; storage: { storage: string } };
    expect(body.reason).toMatch(/storage full/);
    expect(body.storage.storage).toBe("full");
    expect((await fetch(`${instance.url}/healthz`)).status).toBe(200);
  }, 120_000);

  it("emailed the operators exactly once per episode", async () => {
    // Two episodes: the upload that ran out of space, and the fill. The mail goes out off the
    // request path; wait for it, not for a time.
    const alerts = () => instance.smtp.inbox.filter((m) => m.raw.includes("storage is full"));
    for (let i = 0; i < 200 && alerts().length < 4; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const operators = [staffEmail.toLowerCase(), "ops@example.test"];
    const recipients = alerts().flatMap((m) => m.to);
    expect(recipients.sort()).toEqual([...operators, ...operators].sort());
  });

  it("recovers without a restart once space is freed", async () => {
    unlinkSync(filler);
    const ok = await createTask(orgs[2]!, 100_000);
    expect(ok).toBe(200);
    expect(instance.services.disk.full).toBe(false);
    await instance.services.disk.settled();
    expect(statSync(ballastPath(dataDir)).blocks * 512).toBeGreaterThanOrEqual(BALLAST_MB * MiB);
    expect(await upload(orgs[2]!, 256 * 1024)).toBe(201);
    for (const org of orgs) expect(await createTask(org, 100_001)).toBe(200);
    expect((await fetch(`${instance.url}/readyz`)).status).toBe(200);
    // Recovery mails nobody; only a new episode would.
    expect(instance.smtp.inbox.filter((m) => m.raw.includes("storage is full"))).toHaveLength(4);
  }, 120_000);

  it("lost nothing acknowledged, left every file intact and no temporary file behind", async () => {
    stopped = true;
    await instance.stop();
    if (process.env.DISK_FULL_LOG) console.log(instance.logs.filter((l) => l.includes("storage")).join("\n"));
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
    const all = files(dataDir);
    expect(all.filter((f) => /\.tmp$|\.tmp\./.test(f))).toEqual([]);

    const databases = all.filter((f) => f.endsWith(".sqlite"));
    expect(databases.length).toBe(1 + orgs.length);
    for (const file of databases) {
      const db = new Database(file, { readonly: true });
      try {
        expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
      } finally {
        db.close();
      }
    }
    let rows = 0;
    let blobs = 0;
    for (const org of orgs) {
      const db = new Database(join(dataDir, "tenants", `${org.tenantId}.sqlite`), { readonly: true });
      try {
        const tasks = new Set(db.prepare("select id from tasks").pluck().all() as string[]);
        for (const id of org.taskIds) expect(tasks.has(id), `task ${id} of ${org.slug}`).toBe(true);
        // "Nothing was saved" is true: no refused write left a row behind.
        expect(tasks.size).toBe(org.taskIds.length);
        rows += org.taskIds.length;
        for (const f of org.files) {
          const blob = db.prepare("select blob_name from attachments where id = ?").pluck().get(f.id) as string | undefined;
          expect(blob, `file ${f.id} of ${org.slug}`).toBeDefined();
          expect(existsSync(join(dataDir, "blobs", org.tenantId, blob!))).toBe(true);
          blobs++;
        }
      } finally {
        db.close();
      }
    }
    console.log(`[disk-full] found every acknowledged write: ${rows}/${rows} tasks, ${blobs}/${blobs} files`);
  }, 120_000);
});
