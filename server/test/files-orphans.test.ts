import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { request, type ClientRequest } from "node:http";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok } from "./support/client";
import { startInstance, type Instance } from "./support/instance";
import { runTsx } from "./support/run-tsx";
import { tenantDigest } from "./support/tenant-files";
import { orgWithData } from "./support/world";

/**
 * Issue 24 item 6: an upload does not outlive its target. A task, project or invoice deleted while a
 * file streams in leaves neither a row nor a blob; the sweep repairs what older versions left.
 */

let instance: Instance;
let world: Awaited<ReturnType<typeof orgWithData>>;

beforeAll(async () => {
  instance = await startInstance();
  world = await orgWithData(instance, "orphans");
}, 120_000);
afterAll(() => instance?.stop());

const blobDir = () => join(instance.dataDir, "blobs", world.tenantId);
const listDir = () => (existsSync(blobDir()) ? readdirSync(blobDir()).sort() : []);

function tenantFile() {
  return new Database(join(instance.dataDir, "tenants", `${world.tenantId}.sqlite`));
}

function rows<T>(sql: string): T[] {
  const db = tenantFile();
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** An upload whose body is held open until `finish` is called, so something can happen meanwhile. */
function heldUpload(query: Record<string, string>, head: Buffer, tail: Buffer) {
  const req: ClientRequest = request(`${instance.url}/api/files/upload?${new URLSearchParams(query)}`, {
    method: "POST",
    agent: false,
    headers: {
      cookie: world.client.cookieHeader(),
      origin: instance.url,
      "content-type": "application/octet-stream",
      "content-length": String(head.length + tail.length),
    },
  });
  const answer = new Promise<{ status: number; body: { file?: { id: string }; error?: { message: string } } }>((resolve, reject) => {
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
  });
  req.write(head);
  return {
    answer,
    finish() {
      req.end(tail);
      return answer;
    },
  };
}

const tempFiles = () => listDir().filter((f) => f.endsWith(".tmp"));

/** Waits (polling, bounded) until a temporary file not in `seen` appears, and adds it. */
async function newTempFile(seen: Set<string>) {
  for (let i = 0; i < 1000; i++) {
    const fresh = tempFiles().filter((f) => !seen.has(f));
    for (const f of fresh) seen.add(f);
    if (fresh.length) return;
    await sleep(10);
  }
  throw new Error("the upload never started streaming");
}

const text = (n: number) => Buffer.from("a line of text\n".repeat(Math.ceil(n / 15)).slice(0, n));

async function newTask(title: string) {
  return ok(await world.client.mutate("tasks.create", { org: world.slug, projectId: world.target.projectId, title }), "task").id as string;
}

async function newDraftInvoice() {
  const created = await world.client.mutate("invoices.create", {
    org: world.slug,
    clientId: world.target.clientId,
    from: "2020-01-01",
    to: "2020-01-02",
    lines: [{ description: "Work", quantity: 1, unitPrice: 1000 }],
  });
  return ok(created, "invoice").id as string;
}

/** No row without its target or its blob, no blob or temporary file without a row. */
function assertNoOrphans() {
  const targetless = rows(`select id from attachments a where not (
      (target_type = 'task' and exists (select 1 from tasks where id = a.target_id)) or
      (target_type = 'project' and exists (select 1 from projects where id = a.target_id)) or
      (target_type = 'invoice' and exists (select 1 from invoices where id = a.target_id)))`);
  expect(targetless).toEqual([]);
  const blobs = rows<{ blob_name: string }>("select blob_name from attachments").map((r) => r.blob_name);
  expect(listDir()).toEqual([...blobs].sort());
}

describe("deleting the target while an upload streams", () => {
  it("refuses the upload with a sentence and leaves no row, no blob, and a quota equal to the live files (20 in parallel)", async () => {
    const before = rows<{ n: number }>("select count(*) as n from attachments")[0]!.n;
    // Each held upload is started once its temporary file exists, i.e. once its bytes are streaming
    // to disk; then all twenty targets are deleted and all bodies finished at once. Even runs delete
    // before the body ends; odd ones race the delete against the body's end.
    const seen = new Set(tempFiles());
    const started = [];
    for (let i = 0; i < 20; i++) {
      const kind = i % 4 === 3 ? "invoice" : "task";
      const id = kind === "task" ? await newTask(`Racing ${i}`) : await newDraftInvoice();
      const upload = heldUpload({ org: world.slug, target: kind, id, name: `race-${i}.txt` }, text(80 * 1024), text(40 * 1024));
      await newTempFile(seen);
      started.push({
        i,
        upload,
        del: () => world.client.mutate(kind === "task" ? "tasks.delete" : "invoices.delete", { org: world.slug, id }),
      });
    }
    const runs = started.map(async ({ i, upload, del }) => {
      if (i % 2 === 0) {
        expect((await del()).status).toBe(200);
        return { answer: await upload.finish() };
      }
      const [deleted, answer] = await Promise.all([del(), upload.finish()]);
      expect(deleted.status).toBe(200);
      return { answer };
    });
    const results = await Promise.all(runs);
    for (const [i, r] of results.entries()) {
      expect([201, 404], `run ${i}: ${JSON.stringify(r.answer.body)}`).toContain(r.answer.status);
      if (i % 2 === 0) {
        expect(r.answer.status).toBe(404);
        expect(r.answer.body.error?.message).toMatch(/was deleted while the file was uploading, so the file was not saved\.$/);
      }
    }
    // Every target is gone, so every file uploaded to one went with it.
    expect(rows<{ n: number }>("select count(*) as n from attachments")[0]!.n).toBe(before);
    assertNoOrphans();
    const used = rows<{ used: number }>("select coalesce(sum(size), 0) as used from attachments")[0]!.used;
    const live = await world.client.query("files.list", { org: world.slug, targetType: "task", targetId: world.target.taskId });
    const liveProject = await world.client.query("files.list", {
      org: world.slug,
      targetType: "project",
      targetId: world.target.projectId,
    });
    const sizes = [...live.data, ...liveProject.data].reduce((n: number, f: { size: number }) => n + f.size, 0);
    expect(used).toBe(sizes);
  }, 120_000);

  it("refuses, in the database itself, an attachment for a missing target and a delete of a target that has files", () => {
    const db = tenantFile();
    try {
      const insert = db.prepare(
        "insert into attachments (id, target_type, target_id, project_id, name, content_type, size, blob_name, uploaded_by, created_at) values (?, 'task', ?, ?, 'x.txt', 'text/plain', 1, ?, null, 0)",
      );
      expect(() =>
        insert.run("fzzzzzzzzzzzzzzzzzzzzzzzz", "kzzzzzzzzzzzzzzzzzzzzzzzz", world.target.projectId, randomBytes(16).toString("hex")),
      ).toThrow(/attachment target does not exist/);
      expect(() => db.prepare("delete from tasks where id = ?").run(world.target.taskId)).toThrow(/task still has attachments/);
    } finally {
      db.close();
    }
  });
});

describe("files sweep", () => {
  const HOUR = 3600_000;
  const age = (path: string, ms: number) => utimesSync(path, new Date(Date.now() - ms), new Date(Date.now() - ms));
  const cli = (args: string[]) =>
    runTsx("server/cli/main.ts", ["files", "sweep", ...args], {
      env: { ...process.env, NODE_ENV: "test", DATA_DIR: instance.dataDir },
      timeoutMs: 90_000,
    });

  it("finds orphan rows and blobs, changes nothing on a dry run, then removes them and corrects the quota", async () => {
    // What versions before migration 0012 could leave: a row whose task is gone, with its blob.
    const doomed = await newTask("Deleted behind the row's back");
    const up = heldUpload({ org: world.slug, target: "task", id: doomed, name: "left.txt" }, text(3000), text(1000));
    const left = (await up.finish()).body.file!.id;
    const db = tenantFile();
    try {
      const keep = db.prepare("select sql from sqlite_master where name = 'tasks_keep_attachments'").pluck().get() as string;
      db.exec("drop trigger tasks_keep_attachments");
      db.prepare("delete from tasks where id = ?").run(doomed);
      db.exec(keep);
    } finally {
      db.close();
    }
    // A row whose blob is missing.
    const lost = (
      await heldUpload({ org: world.slug, target: "project", id: world.target.projectId, name: "lost.txt" }, text(2000), text(500)).finish()
    ).body.file!.id;
    const lostBlob = rows<{ blob_name: string }>(`select blob_name from attachments where id = '${lost}'`)[0]!.blob_name;
    unlinkSync(join(blobDir(), lostBlob));
    // Files with no row: old ones go, young ones (an upload in progress) and foreign names stay.
    const oldBlob = join(blobDir(), randomBytes(16).toString("hex"));
    const youngBlob = join(blobDir(), randomBytes(16).toString("hex"));
    const oldTemp = join(blobDir(), `.${randomBytes(16).toString("hex")}.${randomBytes(4).toString("hex")}.tmp`);
    const youngTemp = join(blobDir(), `.${randomBytes(16).toString("hex")}.${randomBytes(4).toString("hex")}.tmp`);
    const foreign = join(blobDir(), "NOTES");
    for (const [path, bytes] of [
      [oldBlob, 700],
      [youngBlob, 800],
      [oldTemp, 900],
      [youngTemp, 1000],
      [foreign, 10],
    ] as const)
      writeFileSync(path, randomBytes(bytes));
    age(oldBlob, 2 * HOUR);
    age(oldTemp, 2 * HOUR);
    const leftBlob = rows<{ blob_name: string; size: number }>(`select blob_name, size from attachments where id = '${left}'`)[0]!;
    const leftBlobBytes = statSync(join(blobDir(), leftBlob.blob_name)).size;
    const expected = { rows: 2, rowBytes: 4000 + 2500, blobs: 3, blobBytes: 700 + 900 + leftBlobBytes };

    const dirBefore = listDir();
    const digestBefore = tenantDigest(instance.dataDir, world.tenantId);
    const dry = await cli(["--org", world.slug, "--dry-run", "--json"]);
    expect(dry.status, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toEqual({ dryRun: true, organisations: [{ org: world.slug, ...expected }] });
    expect(listDir()).toEqual(dirBefore);
    expect(tenantDigest(instance.dataDir, world.tenantId)).toEqual(digestBefore);

    const usedBefore = rows<{ used: number }>("select sum(size) as used from attachments")[0]!.used;
    const real = await cli(["--org", world.slug]);
    expect(real.status, real.stderr).toBe(0);
    expect(real.stdout).toContain(
      `${world.slug}: removed 2 row(s) (6500 bytes of quota) and 3 stored file(s) (${expected.blobBytes} bytes on disk)`,
    );
    expect(rows(`select id from attachments where id in ('${left}', '${lost}')`)).toEqual([]);
    expect(rows<{ used: number }>("select sum(size) as used from attachments")[0]!.used).toBe(usedBefore - 6500);
    const remaining = listDir();
    for (const gone of [oldBlob, oldTemp, join(blobDir(), leftBlob.blob_name)]) expect(remaining).not.toContain(gone.split("/").pop());
    for (const kept of [youngBlob, youngTemp, foreign]) expect(remaining).toContain(kept.split("/").pop());
    const audit = ok(await world.client.query("audit.list", { org: world.slug, limit: 5 }), "audit");
    expect(audit.items.map((e: { action: string }) => e.action)).toContain("file.sweep");

    // Once the young files are an hour old they are orphans like the others; the rest is consistent.
    unlinkSync(foreign);
    age(youngBlob, 2 * HOUR);
    age(youngTemp, 2 * HOUR);
    const again = await cli(["--json"]);
    expect(again.status, again.stderr).toBe(0);
    const ours = (JSON.parse(again.stdout) as { organisations: { org: string }[] }).organisations.find((o) => o.org === world.slug);
    expect(ours).toEqual({ org: world.slug, rows: 0, rowBytes: 0, blobs: 2, blobBytes: 1800 });
    assertNoOrphans();
    // The live files are still served.
    const res = await fetch(`${instance.url}/api/files/${world.target.attachmentId}?org=${world.slug}`, {
      headers: { cookie: world.client.cookieHeader() },
    });
    expect(res.status).toBe(200);
  }, 180_000);

  it("takes a missing blob directory for unknown, not for every blob lost: the rows stay", async () => {
    const before = rows<{ n: number }>("select count(*) as n from attachments")[0]!.n;
    expect(before).toBeGreaterThan(0);
    const away = `${blobDir()}.away`;
    renameSync(blobDir(), away);
    try {
      const run = await cli(["--org", world.slug, "--json"]);
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({
        dryRun: false,
        organisations: [{ org: world.slug, rows: 0, rowBytes: 0, blobs: 0, blobBytes: 0 }],
      });
      expect(rows<{ n: number }>("select count(*) as n from attachments")[0]!.n).toBe(before);
    } finally {
      renameSync(away, blobDir());
    }
    assertNoOrphans();
  }, 120_000);

  it("runs in the daily retention job, reporting what it removed", async () => {
    const orphan = join(blobDir(), randomBytes(16).toString("hex"));
    writeFileSync(orphan, randomBytes(321));
    age(orphan, 2 * HOUR);
    const purge = await runTsx("server/cli/main.ts", ["purge", "--json"], {
      env: { ...process.env, NODE_ENV: "test", DATA_DIR: instance.dataDir },
      timeoutMs: 90_000,
    });
    expect(purge.status, purge.stderr).toBe(0);
    expect(JSON.parse(purge.stdout).retention.detail).toMatchObject({ orphanFileRows: 0, orphanBlobs: 1, orphanBlobBytes: 321 });
    expect(existsSync(orphan)).toBe(false);
  }, 120_000);

  it("explains itself with --help and refuses an unknown organisation", async () => {
    const help = await cli(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("files sweep [--org <slug>] [--dry-run] [--json]");
    const unknown = await cli(["--org", "no-such-org"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('No organisation "no-such-org".');
  }, 120_000);
});
