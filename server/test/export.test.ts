import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import yauzl from "yauzl";
import yazl from "yazl";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { tenantFilePath } from "../../db/tenant/paths";
import { FORMAT_VERSION, manifestSchema, TABLE_NAMES, TABLES, type Manifest, type TableName } from "../export/format";
import { ImportError, importOrgExport, NOT_RESENT } from "../export/import-export";
import { expireExports, exportFilePath, exportsIdle, failInterruptedExports } from "../export/jobs";
import { writeOrgExport } from "../export/write-export";
import { inviteMember, STRONG_PASSWORD, verifiedUser } from "./support/accounts";
import { runTsx } from "./support/run-tsx";
import { Client } from "./support/client";
import { startInstance, type Instance } from "./support/instance";
import { tenantCalls } from "./support/procedure-inputs";
import { orgWithData } from "./support/world";

/**
 * A full disk, without needing one: while `fullAfter` is set, the export's temporary file accepts
 * that many bytes and then fails the next write with ENOSPC, as a full file system does.
 */
const disk = vi.hoisted(() => ({ fullAfter: null as number | null }));
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  const { Writable } = await import("node:stream");
  const createWriteStream = ((path: string, options: object) => {
    const real = fs.createWriteStream(path, options);
    if (disk.fullAfter === null || !/\.zip\.[0-9a-f]+\.tmp$/.test(String(path))) return real;
    let room = disk.fullAfter;
    return new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (chunk.length > room) return cb(Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" }));
        room -= chunk.length;
        real.write(chunk, cb);
      },
      final: (cb) => void real.end(cb),
      destroy: (error, cb) => {
        real.destroy();
        cb(error);
      },
    });
  }) as unknown as typeof fs.createWriteStream;
  return { ...fs, default: { ...fs, createWriteStream }, createWriteStream };
});

let source: Instance;
let fresh: Instance;
let world: Awaited<ReturnType<typeof orgWithData>>;
let other: Awaited<ReturnType<typeof orgWithData>>;
let memberEmail: string;
let zipPath: string;
let work: string;
const org = "alpha";

const ok = <T>(res: { status: number; data: T; error: unknown }, what = "call") => {
  if (res.status !== 200) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.error)}`);
  return res.data;
};

/** Every entry of a ZIP, read whole (test archives are small). */
async function readZip(path: string): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true }, (e, z) => (e ? reject(e) : resolve(z))),
  );
  const out = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on("entry", (entry: yauzl.Entry) =>
      zip.openReadStream(entry, (e, stream) => {
        if (e) return reject(e);
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          out.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
      }),
    );
    zip.on("end", () => resolve());
    zip.on("error", reject);
    zip.readEntry();
  });
  zip.close();
  return out;
}

/** Writes a copy of an export with some entries changed; `fixManifest` recomputes their sizes and checksums. */
async function rewriteZip(src: string, dst: string, change: (files: Map<string, Buffer>) => void, fixManifest = true) {
  const files = await readZip(src);
  const before = new Map(files);
  change(files);
  if (fixManifest) {
    const manifest = JSON.parse(files.get("manifest.json")!.toString("utf8")) as Manifest;
    for (const f of manifest.files) {
      const buf = files.get(f.path)!;
      if (buf !== before.get(f.path)) {
        f.bytes = buf.length;
        f.sha256 = createHash("sha256").update(buf).digest("hex");
      }
    }
    if (files.get("manifest.json") === before.get("manifest.json")) files.set("manifest.json", Buffer.from(JSON.stringify(manifest)));
  }
  const zip = new yazl.ZipFile();
  for (const [name, buf] of files) zip.addBuffer(buf, name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  writeFileSync(dst, Buffer.concat(chunks));
  return dst;
}

function jsonLines(files: Map<string, Buffer>, table: TableName) {
  return JSON.parse(files.get(`tables/${table}.json`)!.toString("utf8")) as Record<string, unknown>[];
}

function tableFile(rows: Record<string, unknown>[]) {
  return Buffer.from(rows.length ? `[\n${rows.map((r) => JSON.stringify(r)).join(",\n")}\n]\n` : "[]\n");
}

/** What an import may leave behind in an instance: organisations, their files and blob folders. */
async function footprint(instance: Instance) {
  const tenants = await instance.services.control.selectFrom("tenants").select(["id", "slug", "status"]).orderBy("id").execute();
  const memberships = await instance.services.control.selectFrom("memberships").selectAll().execute();
  const ls = (dir: string) => (existsSync(join(instance.dataDir, dir)) ? readdirSync(join(instance.dataDir, dir)).sort() : []);
  return { tenants, memberships: memberships.length, files: ls("tenants"), blobs: ls("blobs") };
}

async function download(client: Client, path: string) {
  const res = await client.raw("GET", path);
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

beforeAll(async () => {
  source = await startInstance();
  fresh = await startInstance();
  work = mkdtempSync(join(tmpdir(), "opslayer-export-test-"));
  world = await orgWithData(source, org);
  other = await orgWithData(source, "bravo");
  const c = world.client;
  // Every invoice state, so the import has to restore paid and void ones behind their triggers.
  const line = { kind: "manual", description: "Consulting", quantity: 1000, unitPrice: 5000 };
  const paid = ok(await c.mutate("invoices.create", { org, clientId: world.target.clientId, lines: [line] }), "invoice");
  ok(await c.mutate("invoices.issue", { org, id: paid.id }), "issue");
  const full = ok(await c.query("invoices.get", { org, id: paid.id }), "get");
  ok(await c.mutate("payments.create", { org, invoiceId: paid.id, paidOn: full.issue_date, amount: full.total, method: "card" }), "pay");
  const voided = ok(await c.mutate("invoices.create", { org, clientId: world.target.clientId, lines: [line] }), "invoice");
  ok(await c.mutate("invoices.issue", { org, id: voided.id }), "issue");
  ok(await c.mutate("invoices.void", { org, id: voided.id, reason: "Sent to the wrong client" }), "void");
  // A file whose name is not ASCII and would not be safe as a path as it is.
  const qs = new URLSearchParams({ org, target: "project", id: world.target.projectId, name: "Résumé: Q3 plan?.txt" });
  const up = await c.raw("POST", `/api/files/upload?${qs}`, "Große Pläne\n".repeat(5000), {
    origin: c.baseUrl,
    "content-type": "application/octet-stream",
  });
  expect(up.status).toBe(201);
  const member = await source.services.control
    .selectFrom("users")
    .select("email")
    .where("id", "=", world.target.memberUserId!)
    .executeTakeFirstOrThrow();
  memberEmail = member.email;
}, 120_000);

afterAll(async () => {
  await source?.stop();
  await fresh?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("an organisation export", () => {
  let exportId: string;

  it("runs in the background after exports.start, with progress, and refuses a second one meanwhile", async () => {
    const started = ok(await world.client.mutate("exports.start", { org }), "start");
    exportId = started.id;
    expect(started.status).toBe("queued");
    expect(started.downloadPath).toBeNull();
    const again = await world.client.mutate("exports.start", { org });
    expect(again.status).toBe(409);
    await exportsIdle(source.services);
    const [row] = ok(await world.client.query("exports.list", { org }), "list");
    expect(row).toMatchObject({ id: exportId, status: "done", downloadPath: `/api/exports/${exportId}`, error: null });
    expect(row.total).toBeGreaterThan(50);
    expect(row.done).toBe(row.total);
    expect(row.expiresAt).toBe(row.finishedAt + source.services.config.exportLinkMs);
  });

  it("downloads over HTTP with the session cookie, as a ZIP matching the recorded size and checksum, and audits it", async () => {
    const [row] = ok(await world.client.query("exports.list", { org }));
    const res = await download(world.client, row.downloadPath);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="alpha-export-\d{4}-\d{2}-\d{2}\.zip"/);
    expect(res.body.length).toBe(row.bytes);
    expect(createHash("sha256").update(res.body).digest("hex")).toBe(row.sha256);
    zipPath = join(work, "alpha.zip");
    writeFileSync(zipPath, res.body);
    const audit = ok(await world.client.query("audit.list", { org, limit: 100 }));
    const actions = audit.items.map((e: { action: string }) => e.action);
    expect(actions).toContain("org.export_start");
    expect(actions).toContain("org.export_download");
  });

  it("holds one JSON file per table, each valid against its schema, and a manifest whose counts and checksums match", async () => {
    const files = await readZip(zipPath);
    const manifest = manifestSchema.parse(JSON.parse(files.get("manifest.json")!.toString("utf8")));
    expect(manifest.format).toBe(FORMAT_VERSION);
    expect(manifest.org).toEqual({ id: world.tenantId, slug: org, name: `Org ${org}` });
    expect(manifest.schema_migration).toMatch(/^\d{4}_/);
    expect(new Set(files.keys())).toEqual(new Set(["manifest.json", ...manifest.files.map((f) => f.path)]));
    for (const f of manifest.files) {
      const buf = files.get(f.path)!;
      expect(buf.length, f.path).toBe(f.bytes);
      expect(createHash("sha256").update(buf).digest("hex"), f.path).toBe(f.sha256);
    }
    for (const table of TABLE_NAMES) {
      const rows = jsonLines(files, table);
      expect(rows.length, table).toBe(manifest.counts[table]);
      for (const row of rows) expect(() => TABLES[table].row.parse(row), `${table} ${JSON.stringify(row)}`).not.toThrow();
      // Keys in the documented order.
      if (rows[0]) expect(Object.keys(rows[0])).toEqual(Object.keys(TABLES[table].row.shape));
    }
    const attachments = jsonLines(files, "attachments");
    expect(attachments.length).toBe(2);
    const resume = attachments.find((a) => a.name === "Résumé: Q3 plan?.txt")!;
    expect(files.get(`attachments/${resume.id}/Résumé_ Q3 plan_.txt`)!.toString("utf8")).toBe("Große Pläne\n".repeat(5000));
    // Sealed secrets are not in the archive in any form; their hints are.
    for (const table of ["connected_services", "servers", "webhooks"] as const)
      for (const row of jsonLines(files, table)) expect(row.secret).toBeNull();
    expect(jsonLines(files, "connected_services")[0]!.secret_hint).toBe("1234");
    const everything = Buffer.concat([...files.values()]).toString("utf8");
    expect(everything).not.toContain("sk_test_seeded-secret-value");
    expect(everything).not.toContain("seeded-server-password");
    expect(everything).not.toContain("whsec_");
    // Nothing of another organisation.
    expect(everything).not.toContain("bravo");
    for (const id of Object.values(other.target)) expect(everything).not.toContain(id);
  });

  it("covers every table of a tenant file, so nothing is silently left out", () => {
    const db = new Database(tenantFilePath(source.dataDir, world.tenantId), { readonly: true });
    const tables = (
      db
        .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%'")
        .pluck()
        .all() as string[]
    ).sort();
    db.close();
    expect(tables).toEqual([...TABLE_NAMES].sort());
  });
});

describe("importing the export into a fresh instance", () => {
  let imported: Client;
  let ids: Map<string, string>;

  beforeAll(async () => {
    const owner = await verifiedUser(fresh, `Owner of ${org}`, world.email);
    await verifiedUser(fresh, `Member of ${org}`, memberEmail);
    imported = owner.client;
    const before = await footprint(fresh);
    const progress: number[] = [];
    const result = await importOrgExport(fresh.services, zipPath, { slug: org }, (done) => progress.push(done));
    expect(progress.at(-1)).toBeGreaterThan(0);
    expect(result.matched.sort()).toEqual([world.email, memberEmail].sort());
    expect((await footprint(fresh)).tenants.length).toBe(before.tenants.length + 1);
    expect(result.tenantId).not.toBe(world.tenantId);
    // Account ids differ between instances: answers are compared with the new ids put back.
    const users = async (i: Instance) =>
      new Map((await i.services.control.selectFrom("users").select(["id", "email"]).execute()).map((u) => [u.email, u.id]));
    const oldIds = await users(source);
    const newIds = await users(fresh);
    ids = new Map([...newIds].filter(([email]) => oldIds.has(email)).map(([email, id]) => [id, oldIds.get(email)!]));
    ids.set(result.tenantId, world.tenantId);
  }, 60_000);

  /** New ids → the exported ones (answers); `back` the other way (inputs naming a person). */
  const normalise = (value: unknown, back = false) => {
    let text = JSON.stringify(value);
    for (const [to, from] of ids) text = back ? text.split(from).join(to) : text.split(to).join(from);
    return JSON.parse(text);
  };

  /**
   * Query procedures whose answers come from the control database or the instance's clock rather
   * than the organisation's file (not exported, see docs/export-format.md), and the audit log,
   * compared below.
   */
  const NOT_FROM_THE_FILE = new Set([
    "support.listGrants",
    "support.activity",
    "apiTokens.list",
    "invitations.list",
    "exports.list",
    "exports.download",
    "audit.list",
    "audit.export",
    "privacy.status",
    "termination.status",
    "termination.preview",
    // Compared below: pending deliveries arrive as "skipped", never to be sent again.
    "webhooks.deliveries",
  ]);
  const queries = Object.entries(tenantCalls).filter(
    ([path, c]) => c.kind === "query" && !NOT_FROM_THE_FILE.has(path) && !path.startsWith("digest."),
  );

  it.each(queries.map(([path]) => path))("%s answers the same in both instances", async (path) => {
    const input = tenantCalls[path]!.input(world.target);
    const [before, after] = [await world.client.query(path, input), await imported.query(path, normalise(input, true))];
    expect(after.status).toBe(before.status);
    expect(normalise(after.data ?? after.error)).toEqual(before.data ?? before.error);
  });

  it("keeps the whole audit log, with one row added for the import", async () => {
    const all = async (client: Client) => {
      const items: { action: string; id: number }[] = [];
      let cursor: unknown = undefined;
      for (;;) {
        const page = ok(await client.query("audit.list", { org, limit: 100, ...(cursor ? { cursor } : {}) }));
        items.push(...page.items);
        if (!page.nextCursor) return items;
        cursor = page.nextCursor;
      }
    };
    const files = await readZip(zipPath);
    const exported = jsonLines(files, "audit_log").length;
    const after = await all(imported);
    expect(after.length).toBe(exported + 1);
    expect(after.filter((e) => e.action === "org.import").length).toBe(1);
  });

  it("serves every attachment with the same bytes, re-encrypted under the new organisation's key", async () => {
    const files = await readZip(zipPath);
    for (const a of jsonLines(files, "attachments")) {
      const get = async (client: Client) => download(client, `/api/files/${a.id}?org=${org}`);
      const [x, y] = [await get(world.client), await get(imported)];
      expect(y.status).toBe(200);
      expect(y.body.equals(x.body)).toBe(true);
    }
    const tenant = await fresh.services.control.selectFrom("tenants").select("id").where("slug", "=", org).executeTakeFirstOrThrow();
    const blobs = readdirSync(join(fresh.dataDir, "blobs", tenant.id));
    expect(blobs.length).toBe(2);
    // Not the old ciphertext: the blobs are sealed for the new organisation.
    for (const b of blobs) expect(existsSync(join(source.dataDir, "blobs", world.tenantId, b))).toBe(false);
  });

  it("imports pending webhook deliveries as not sent, and the dispatcher never sends them", async () => {
    const input = { org, webhookId: world.target.webhookId };
    const before: { status: string }[] = ok(await world.client.query("webhooks.deliveries", input));
    expect(before.some((d) => d.status === "pending")).toBe(true);
    const expected = before.map((d) =>
      d.status === "pending" ? { ...d, status: "skipped", next_attempt_at: null, error: NOT_RESENT } : d,
    );
    const after = async () => normalise(ok(await imported.query("webhooks.deliveries", input)));
    expect(await after()).toEqual(normalise(expected));
    // Even once the owner resumes the webhook, nothing imported is due.
    ok(await imported.mutate("webhooks.update", { org, id: world.target.webhookId, active: true }));
    await fresh.services.webhooks.runOnce();
    expect(await after()).toEqual(normalise(expected));
    ok(await imported.mutate("webhooks.update", { org, id: world.target.webhookId, active: false }));
  });

  it("asks for credentials again: vault secrets do not open, webhooks are paused", async () => {
    const hooks = ok(await imported.query("webhooks.list", { org }));
    expect(hooks.every((h: { active: boolean }) => !h.active)).toBe(true);
    const rotated = ok(await imported.mutate("webhooks.rotateSecret", { org, id: world.target.webhookId }));
    expect(rotated.secret).toMatch(/^whsec_/);
  });
});

describe("an archive that is not exactly an export", () => {
  const refuse = async (file: string, message: RegExp, slug = "tampered") => {
    const before = await footprint(fresh);
    const error = await importOrgExport(fresh.services, file, { slug, ownerEmail: world.email }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ImportError);
    expect((error as Error).message).toMatch(message);
    expect(await footprint(fresh)).toEqual(before);
    return error as ImportError;
  };

  it("is refused when one byte of a file changed", async () => {
    const file = await rewriteZip(
      zipPath,
      join(work, "byte.zip"),
      (files) => {
        const [name, buf] = [...files].find(([n]) => n.startsWith("attachments/"))!;
        const copy = Buffer.from(buf);
        copy[0] = copy[0]! ^ 1;
        files.set(name, copy);
      },
      false,
    );
    expect((await refuse(file, /does not match its SHA-256/)).kind).toBe("archive");
  });

  it("is refused with another format version", async () => {
    const file = await rewriteZip(zipPath, join(work, "version.zip"), (files) => {
      const m = JSON.parse(files.get("manifest.json")!.toString("utf8"));
      m.format = "opslayer-org-export/99";
      files.set("manifest.json", Buffer.from(JSON.stringify(m)));
    });
    await refuse(file, /Unsupported export format "opslayer-org-export\/99"/);
  });

  it("still imports a version-1 archive, from before rate_scale_reviews (issue 26), with that table empty", async () => {
    const file = await rewriteZip(zipPath, join(work, "version-1.zip"), (files) => {
      files.delete("tables/rate_scale_reviews.json");
      const m = JSON.parse(files.get("manifest.json")!.toString("utf8")) as Manifest;
      m.format = "opslayer-org-export/1";
      m.files = m.files.filter((f) => f.path !== "tables/rate_scale_reviews.json");
      delete m.counts.rate_scale_reviews;
      files.set("manifest.json", Buffer.from(JSON.stringify(m)));
    });
    const result = await importOrgExport(fresh.services, file, { slug: "from-version-1" });
    const lease = await fresh.services.pool.acquire(result.tenantId);
    try {
      expect(await lease.db.selectFrom("rate_scale_reviews").selectAll().execute()).toEqual([]);
      expect((await lease.db.selectFrom("payments").select("id").execute()).length).toBeGreaterThan(0);
    } finally {
      lease.release();
    }
  });

  it("is refused when a row fails its schema, even with matching checksums", async () => {
    const file = await rewriteZip(zipPath, join(work, "schema.zip"), (files) => {
      const rows = jsonLines(files, "tasks");
      rows[0]!.priority = 9;
      files.set("tables/tasks.json", tableFile(rows));
    });
    await refuse(file, /tables\/tasks\.json row 1 does not match the tasks schema: priority/);
  });

  it("is refused with a negative hourly rate on a time entry (issue 26: money in an archive is checked like money typed)", async () => {
    const file = await rewriteZip(zipPath, join(work, "negative-rate.zip"), (files) => {
      const rows = jsonLines(files, "time_entries");
      rows[0]!.hourly_rate = -10000;
      files.set("tables/time_entries.json", tableFile(rows));
    });
    await refuse(file, /tables\/time_entries\.json row 1 does not match the time_entries schema: hourly_rate/);
  });

  it("works out an entry's problem flag from its times, never from the archive (a crafted flag cannot carry a bad row past the file's rule)", async () => {
    const file = await rewriteZip(zipPath, join(work, "crafted-flag.zip"), (files) => {
      const rows = jsonLines(files, "time_entries");
      rows[0]!.problem = "ends_before_start";
      files.set("tables/time_entries.json", tableFile(rows));
    });
    const result = await importOrgExport(fresh.services, file, { slug: "crafted-flag" });
    const lease = await fresh.services.pool.acquire(result.tenantId);
    try {
      const flagged = await lease.db.selectFrom("time_entries").select("id").where("problem", "is not", null).execute();
      expect(flagged).toEqual([]);
    } finally {
      lease.release();
    }
  });

  it("is refused when a file is added, missing or smuggled in", async () => {
    const extra = await rewriteZip(zipPath, join(work, "extra.zip"), (files) => void files.set("extra/evil.sh", Buffer.from("x")), false);
    await refuse(extra, /ZIP|not in the manifest|invalid/i);
    const missing = await rewriteZip(zipPath, join(work, "missing.zip"), (files) => void files.delete("tables/comments.json"), false);
    await refuse(missing, /missing from the archive/);
  });

  it("undoes everything when the rows break a rule only the database checks", async () => {
    const file = await rewriteZip(zipPath, join(work, "fk.zip"), (files) => {
      const rows = jsonLines(files, "tasks");
      rows[0]!.project_id = `p${"z".repeat(24)}`;
      files.set("tables/tasks.json", tableFile(rows));
    });
    expect((await refuse(file, /undone.*FOREIGN KEY/)).kind).toBe("refused");
  });

  it("is refused without reading it whole when a line is longer than any export writes", async () => {
    // A few MB of ZIP can declare gigabytes on one line; it is refused once a line passes the cap.
    const file = await rewriteZip(zipPath, join(work, "long-line.zip"), (files) => {
      files.set("tables/clients.json", Buffer.concat([Buffer.from("[\n"), Buffer.alloc(16 * 1024 * 1024 + 1, 0x20)]));
    });
    expect((await refuse(file, /tables\/clients\.json has a line longer than 16 MiB/)).kind).toBe("archive");
  });

  it("is refused before anything is written when its attachments exceed this instance's limits", async () => {
    const config = fresh.services.config as { fileMaxBytes: number; orgQuotaBytes: number };
    const { fileMaxBytes, orgQuotaBytes } = config;
    try {
      config.fileMaxBytes = 1000;
      await refuse(zipPath, /attachments\/.+ has \d+ bytes; files here can be at most 1000/, "over-limits");
      config.fileMaxBytes = fileMaxBytes;
      config.orgQuotaBytes = 1000;
      await refuse(zipPath, /attachments add up to \d+ bytes; an organisation here can store at most 1000/, "over-limits");
    } finally {
      Object.assign(config, { fileMaxBytes, orgQuotaBytes });
    }
  });

  it("is refused before anything is written when an attachment is not a type this instance accepts", async () => {
    const script = Buffer.from("#!/bin/sh\necho hello\n");
    const file = await rewriteZip(zipPath, join(work, "script.zip"), (files) => {
      const rows = jsonLines(files, "attachments");
      const row = rows.find((a) => a.name === "Résumé: Q3 plan?.txt")!;
      row.size = script.length;
      files.set("tables/attachments.json", tableFile(rows));
      files.set(`attachments/${row.id}/Résumé_ Q3 plan_.txt`, script);
    });
    // Creating and removing a tenant file would change its directory.
    const tenants = () => statSync(join(fresh.dataDir, "tenants")).mtimeMs;
    const before = tenants();
    const error = await refuse(file, /Résumé_ Q3 plan_\.txt is not a file this instance accepts: This looks like a script/);
    expect(error.kind).toBe("archive");
    expect(error.message).not.toMatch(/undone|cannot be stored/);
    expect(tenants()).toBe(before);
  });

  it("is refused when the slug is taken or nobody here can own it", async () => {
    await refuse(zipPath, /is taken/, org);
    const strangers = await rewriteZip(zipPath, join(work, "strangers.zip"), (files) => {
      const rows = jsonLines(files, "members").map((m, i) => ({ ...m, email: `stranger-${i}@example.test` }));
      files.set("tables/members.json", tableFile(rows));
    });
    const before = await footprint(fresh);
    await expect(importOrgExport(fresh.services, strangers, { slug: "ownerless" })).rejects.toThrow(/owners has an account/);
    await expect(importOrgExport(fresh.services, zipPath, { slug: "ownerless", ownerEmail: "nobody@example.test" })).rejects.toThrow(
      /no account/,
    );
    expect(await footprint(fresh)).toEqual(before);
  });

  it("never gives an exported member's seat to an account that has not confirmed that address (issue 24)", async () => {
    // Sign-ups holding the exported people's addresses, never confirmed: they could be anyone.
    const squatted = await rewriteZip(zipPath, join(work, "squatted.zip"), (files) => {
      const rows = jsonLines(files, "members").map((m, i) => ({ ...m, email: `squatter-${i}@example.test` }));
      files.set("tables/members.json", tableFile(rows));
    });
    for (const i of [0, 1, 2]) {
      const res = await new Client(fresh.url).mutate("auth.signup", {
        name: "Squatter",
        email: `squatter-${i}@example.test`,
        password: STRONG_PASSWORD,
      });
      expect(res.status).toBe(200);
    }
    const before = await footprint(fresh);
    await expect(importOrgExport(fresh.services, squatted, { slug: "squatted" })).rejects.toThrow(/owners has an account/);
    await expect(importOrgExport(fresh.services, zipPath, { slug: "squatted", ownerEmail: "squatter-0@example.test" })).rejects.toThrow(
      "--owner: squatter-0@example.test has not confirmed its email address yet; it must do so before it can own an organisation.",
    );
    expect(await footprint(fresh)).toEqual(before);
  });
});

describe("an export that cannot be written as it should", () => {
  let delta: Awaited<ReturnType<typeof orgWithData>>;
  let deltaFile: string;

  beforeAll(async () => {
    delta = await orgWithData(source, "delta");
    deltaFile = tenantFilePath(source.dataDir, delta.tenantId);
  }, 60_000);

  const writer = () => {
    const db = new Database(deltaFile);
    db.pragma("busy_timeout = 5000");
    return db;
  };
  /** Descriptors this process holds on the organisation's file (the pool's own included). */
  const openOnFile = () =>
    readdirSync("/proc/self/fd").filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === deltaFile;
      } catch {
        return false;
      }
    }).length;

  it.runIf(existsSync("/proc/self/fd"))(
    "reports the disk's own error, closes its connection and leaves no file behind when the output fails part-way",
    async () => {
      // Enough rows that the disk fills while a table is still being read.
      const filler = writer();
      const insert = filler.prepare("insert into audit_log (at, actor_kind, action, detail) values (?, 'system', 'test.filler', ?)");
      filler.transaction(() => {
        for (let i = 0; i < 20_000; i++) insert.run(i, JSON.stringify({ junk: createHash("sha256").update(String(i)).digest("hex") }));
      })();
      filler.close();
      // SQLite keeps a closed connection's descriptor while another one in the process holds a lock on
      // the file, so none is open while descriptors are counted.
      await source.services.pool.close(delta.tenantId);
      expect(openOnFile()).toBe(0);
      const dir = mkdtempSync(join(work, "full-"));
      disk.fullAfter = 64 * 1024;
      const error = await writeOrgExport(source.services, delta.tenantId, join(dir, "out.zip"))
        .then(
          () => null,
          (e: NodeJS.ErrnoException) => e,
        )
        .finally(() => (disk.fullAfter = null));
      expect(error?.code).toBe("ENOSPC");
      expect(error?.message).toMatch(/no space left on device/);
      expect(openOnFile()).toBe(0);
      expect(readdirSync(dir)).toEqual([]);
      // No read transaction is left pinning the WAL: a writer can checkpoint all of it.
      const db = writer();
      try {
        db.prepare("delete from audit_log where action = 'test.filler'").run();
        expect((db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[])[0]!.busy).toBe(0);
      } finally {
        db.close();
      }
    },
  );

  it("refuses a row the importer would refuse, naming the table and the row, and leaves no file behind", async () => {
    const db = writer();
    const entry = db.prepare("select id, duration_seconds from time_entries order by id limit 1").get() as {
      id: string;
      duration_seconds: number;
    };
    // What a float bound from JavaScript leaves in an INTEGER column: SQLite keeps it REAL.
    db.prepare("update time_entries set duration_seconds = 12.5 where id = ?").run(entry.id);
    const dir = mkdtempSync(join(work, "real-"));
    try {
      const error = await writeOrgExport(source.services, delta.tenantId, join(dir, "out.zip")).then(
        () => null,
        (e: Error) => e,
      );
      expect(error?.name).toBe("ExportError");
      expect(error?.message).toContain(`time_entries row 1 (id "${entry.id}")`);
      expect(error?.message).toMatch(/duration_seconds/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      db.prepare("update time_entries set duration_seconds = ? where id = ?").run(entry.duration_seconds, entry.id);
      db.close();
    }
  });

  it("never replaces a file that appeared at the output path while it ran", async () => {
    const dir = mkdtempSync(join(work, "taken-"));
    const out = join(dir, "out.zip");
    writeFileSync(out, "someone else's file");
    await expect(writeOrgExport(source.services, delta.tenantId, out)).rejects.toThrow(/exists/);
    expect(readFileSync(out, "utf8")).toBe("someone else's file");
    expect(readdirSync(dir)).toEqual(["out.zip"]);
  });

  it("cuts a long attachment name between characters, never inside one, so the archive imports", async () => {
    const name = `${"a".repeat(199)}\u{1F600}.txt`;
    const qs = new URLSearchParams({ org: "delta", target: "project", id: delta.target.projectId, name });
    const up = await delta.client.raw("POST", `/api/files/upload?${qs}`, "hello\n".repeat(100), {
      origin: delta.client.baseUrl,
      "content-type": "application/octet-stream",
    });
    expect(up.status).toBe(201);
    const out = join(mkdtempSync(join(work, "long-name-")), "delta.zip");
    await writeOrgExport(source.services, delta.tenantId, out);
    const files = await readZip(out);
    const row = jsonLines(files, "attachments").find((a) => a.name === name)!;
    expect(files.get(`attachments/${row.id}/${"a".repeat(199)}\u{1F600}`)?.toString()).toBe("hello\n".repeat(100));
    const owner = await verifiedUser(fresh, "Owner of delta", delta.email);
    await importOrgExport(fresh.services, out, { slug: "delta" });
    const res = await download(owner.client, `/api/files/${row.id}?org=delta`);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe("hello\n".repeat(100));
  });
});

describe("who may download", () => {
  // After the import, which compares answers with the organisation as it was exported.
  it("is refused to members without org.export, to other organisations, to strangers and to API tokens", async () => {
    const [row] = ok(await world.client.query("exports.list", { org }));
    const path = `/api/exports/${row.id}`;
    const plain = await inviteMember(source, world.client, org, "member", { name: "No Export" });
    expect((await plain.client.mutate("exports.start", { org })).status).toBe(403);
    expect((await plain.client.query("exports.list", { org })).status).toBe(403);
    const refused = await download(plain.client, path);
    expect(refused.status).toBe(403);
    expect(refused.body.toString()).toContain("needs org.export");
    // Another organisation's owner, by id: as if it did not exist, same answer as an unknown id.
    const foreign = await download(other.client, path);
    expect(foreign.status).toBe(404);
    const unknown = await download(other.client, `/api/exports/x${"a".repeat(24)}`);
    expect(unknown.status).toBe(404);
    expect(foreign.body.toString()).toBe(unknown.body.toString());
    expect((await download(other.client, "/api/exports/..%2Fcontrol.sqlite")).status).toBe(404);
    expect((await download(new Client(source.url), path)).status).toBe(401);
    const token = ok(await world.client.mutate("apiTokens.create", { org, name: "exporter", scopes: ["org.export"], expiresInDays: 1 }));
    const bearer = await new Client(source.url).raw("GET", path, undefined, { authorization: `Bearer ${token.token}` });
    expect(bearer.status).toBe(403);
    // A member whose role loses org.export loses the download at once.
    const role = ok(await world.client.mutate("roles.create", { org, name: "Exporter", permissions: ["org.view", "org.export"] }));
    const exporter = await inviteMember(source, world.client, org, role.id, { name: "Exporter" });
    expect((await download(exporter.client, path)).status).toBe(200);
    ok(await world.client.mutate("roles.update", { org, id: role.id, permissions: ["org.view"] }));
    expect((await download(exporter.client, path)).status).toBe(403);
    // POST is not a download.
    const post = await world.client.raw("POST", path, "", { origin: source.url });
    expect(post.status).toBe(405);
  });
});

describe("expiry and restarts", () => {
  it("answers 410 once the link expired, and expireExports deletes the file", async () => {
    const [row] = ok(await world.client.query("exports.list", { org }));
    const file = exportFilePath(source.dataDir, row.id);
    expect(existsSync(file)).toBe(true);
    source.clock.advance(source.services.config.exportLinkMs + 1);
    const gone = await download(world.client, row.downloadPath);
    expect(gone.status).toBe(410);
    const [listed] = ok(await world.client.query("exports.list", { org }));
    expect(listed).toMatchObject({ status: "expired", downloadPath: null });
    expect(await expireExports(source.services)).toBe(1);
    expect(existsSync(file)).toBe(false);
    expect((await download(world.client, row.downloadPath)).status).toBe(410);
    expect(await expireExports(source.services)).toBe(0);
  });

  it("marks exports a previous process left unfinished as failed", async () => {
    const now = source.clock.now();
    await source.services.control
      .insertInto("org_exports")
      .values({
        id: `x${"b".repeat(24)}`,
        tenant_id: world.tenantId,
        requested_by: "u",
        status: "running",
        done: 3,
        total: 9,
        file_name: null,
        bytes: null,
        sha256: null,
        error: null,
        created_at: now,
        finished_at: null,
        expires_at: null,
      })
      .execute();
    expect(await failInterruptedExports(source.services)).toBe(1);
    const [row] = ok(await world.client.query("exports.list", { org }));
    expect(row).toMatchObject({ status: "failed", error: expect.stringMatching(/restarted/) });
  });
});

describe("the CLI", () => {
  const cli = (args: string[]) =>
    runTsx("server/cli/main.ts", args, { env: { ...process.env, NODE_ENV: "test", DATA_DIR: fresh.dataDir }, timeoutMs: 90_000 });

  it("exports with a checksum, refuses to overwrite, and imports (65 for an invalid archive)", async () => {
    const out = join(work, "cli.zip");
    const exported = await cli(["export", "--org", org, "--out", out]);
    expect(exported.stderr + exported.stdout).toMatch(/sha256 +[0-9a-f]{64}/);
    expect(exported.status).toBe(0);
    const sha = /sha256 +([0-9a-f]{64})/.exec(exported.stdout)![1];
    expect(createHash("sha256").update(readFileSync(out)).digest("hex")).toBe(sha);
    expect((await cli(["export", "--org", org, "--out", out])).status).toBe(73);
    const imported = await cli(["import", out, "--slug", "alpha-copy", "--owner", world.email]);
    expect(imported.stdout).toContain("Imported");
    expect(imported.status).toBe(0);
    const bad = await cli(["import", join(work, "version.zip"), "--slug", "alpha-bad"]);
    expect(bad.status).toBe(65);
    expect(bad.stderr).toMatch(/Unsupported export format/);
  }, 300_000);
});
