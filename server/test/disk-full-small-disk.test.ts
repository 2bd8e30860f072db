import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmdirSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ballastPath } from "../storage/ballast";
import { STORAGE_FULL_MESSAGE } from "../storage/storage-full";
import { STRONG_PASSWORD, userWithOrg } from "./support/accounts";
import { Client } from "./support/client";
import { startInstance, type Instance } from "./support/instance";

/**
 * The default DISK_BALLAST_MB (64) on a disk smaller than that. Found by hand on a 48 MB tmpfs: no
 * ballast could be written, so nobody could log in once the disk was full, and after space was freed
 * the episode never ended (it waited for 64 MB free plus the watermark), so every write kept
 * answering 507 with a quarter of the disk free.
 */

const MiB = 1024 * 1024;
const SIZE_MB = 48;
const FILLER_MB = 16;
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function mountTmpfs(): { dir: string; reason: null } | { dir: null; reason: string } {
  const dir = mkdtempSync(join(tmpdir(), "opslayer-smalldisk-"));
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
if (mount.reason) console.log(`[disk-full-small-disk] skipped: cannot mount a ${SIZE_MB} MB tmpfs here (${mount.reason})`);

describe.skipIf(mount.dir === null)("a disk smaller than the default ballast fills up", () => {
  const dataDir = mount.dir!;
  const filler = join(dataDir, "filler.bin");
  let instance: Instance;
  let owner: Awaited<ReturnType<typeof userWithOrg>>;
  let projectId: string;

  const upload = async (name: string, bytes: number) => {
    const q = new URLSearchParams({ org: owner.slug, target: "project", id: projectId, name });
    const res = await fetch(`${instance.url}/api/files/upload?${q}`, {
      method: "POST",
      body: Buffer.concat([PNG, randomBytes(bytes - PNG.length)]),
      headers: { cookie: owner.client.cookieHeader(), origin: instance.url, "content-type": "application/octet-stream" },
    });
    return { status: res.status, body: await res.text() };
  };
  const createTask = async (n: number) => {
    const description = randomBytes(6000).toString("base64").slice(0, 8000) + randomBytes(6000).toString("hex");
    return owner.client.mutate("tasks.create", { org: owner.slug, projectId, title: `Fill ${n}`, description });
  };

  beforeAll(async () => {
    writeFileSync(filler, randomBytes(FILLER_MB * MiB));
    // No DISK_BALLAST_MB: the default is larger than this whole disk.
    instance = await startInstance({ DATA_DIR: dataDir, DISK_WATERMARK_PERCENT: "5" });
    await instance.services.disk.prepare();
    owner = await userWithOrg(instance, "small");
    const client = await owner.client.mutate("clients.create", { org: "small", name: "Client", contactEmail: "c@small.test" });
    const project = await owner.client.mutate("projects.create", { org: "small", clientId: client.data.id, name: "Project", code: "SM-1" });
    projectId = project.data.id as string;
  }, 120_000);

  afterAll(async () => {
    await instance?.stop();
    execFileSync("umount", [dataDir]);
    rmdirSync(dataDir);
  });

  it("keeps a ballast sized to the disk, lets people log in while full, and recovers once space is freed", async () => {
    expect(existsSync(ballastPath(dataDir))).toBe(true);
    expect(statSync(ballastPath(dataDir)).size).toBeLessThanOrEqual((SIZE_MB * MiB) / 8);

    // Uploads until the watermark refuses them, then small writes until the disk is full.
    for (let i = 0; i < 20; i++) if ((await upload(`fill-${i}.png`, 2 * MiB)).status !== 201) break;
    let full = false;
    for (let round = 0; round < 100 && !full; round++) {
      const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => createTask(round * 6 + i)));
      for (const r of replies) if (r.status !== 200) expect([r.status, r.error?.message]).toEqual([507, STORAGE_FULL_MESSAGE]);
      full = replies.some((r) => r.status === 507);
    }
    expect(full).toBe(true);
    expect(instance.services.disk.full).toBe(true);
    expect((await fetch(`${instance.url}/readyz`)).status).toBe(503);

    const again = new Client(instance.url);
    const login = await again.mutate("auth.login", { email: owner.email, password: STRONG_PASSWORD });
    expect(login.status).toBe(200);
    expect((await again.query("projects.list", { org: owner.slug })).status).toBe(200);

    unlinkSync(filler);
    expect((await createTask(9999)).status).toBe(200);
    expect((await upload("after.png", 64 * 1024)).status).toBe(201);
    expect((await fetch(`${instance.url}/readyz`)).status).toBe(200);
  }, 300_000);
});
