import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { request, type IncomingMessage } from "node:http";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { symmetricKey } from "../crypto/envelope";
import { ChunkSealer, openChunks } from "../files/chunked";
import { contentDisposition } from "../http/files";
import { inviteMember, userWithOrg } from "./support/accounts";
import type { Client, OutputOf } from "./support/client";
import { startInstance, type Instance } from "./support/instance";
import { orgWithData } from "./support/world";

/** Attachments over real HTTP: the streaming routes, the tenant door, the encrypted blobs. */

const MiB = 1024 * 1024;
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

type Body = string | Buffer | ReadableStream<Uint8Array>;

async function upload(
  client: Client,
  q: { org: string; target: string; id: string; name: string },
  body: Body,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${client.baseUrl}/api/files/upload?${new URLSearchParams(q)}`, {
    method: "POST",
    body: body as BodyInit,
    headers: { cookie: client.cookieHeader(), origin: client.baseUrl, "content-type": "application/octet-stream", ...headers },
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  });
  // `file` on 201, `error` otherwise; each test checks the status before reading either.
  const json = (await res.json().catch(() => ({}))) as { file: OutputOf<"files.upload">; error: { message: string; code: string } };
  return { status: res.status, file: json.file, error: json.error };
}

function download(client: Client, org: string, id: string) {
  return fetch(`${client.baseUrl}/api/files/${id}?${new URLSearchParams({ org })}`, { headers: { cookie: client.cookieHeader() } });
}

function blobFiles(instance: Instance, tenantId: string) {
  const dir = join(instance.dataDir, "blobs", tenantId);
  return existsSync(dir) ? readdirSync(dir) : [];
}

function blobPathOf(instance: Instance, tenantId: string, fileId: string) {
  const db = new Database(join(instance.dataDir, "tenants", `${tenantId}.sqlite`), { readonly: true });
  try {
    const row = db.prepare("select blob_name from attachments where id = ?").get(fileId) as { blob_name: string } | undefined;
    return row ? join(instance.dataDir, "blobs", tenantId, row.blob_name) : null;
  } finally {
    db.close();
  }
}

/** A stream of `total` bytes starting with `prefix`, never materialised; `hash` is fed as it goes. */
function generated(total: number, prefix: Buffer, hash = createHash("sha256")) {
  const block = randomBytes(64 * 1024);
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(block.length, total - sent);
      const piece = Buffer.from(block.subarray(0, n));
      if (sent === 0) prefix.copy(piece);
      piece.writeUInt32BE(sent >>> 0, Math.max(0, n - 4) & ~3);
      hash.update(piece);
      sent += n;
      controller.enqueue(piece);
    },
  });
  return { stream, hash };
}

let instance: Instance;
let world: Awaited<ReturnType<typeof orgWithData>>;
let other: Awaited<ReturnType<typeof orgWithData>>;
let blind: Client;

beforeAll(async () => {
  instance = await startInstance();
  world = await orgWithData(instance, "files");
  other = await orgWithData(instance, "files-other");
  // A plain member: the seeded project is neither shared with them nor in the shared space.
  blind = (await inviteMember(instance, world.client, world.slug, "member", { name: "Cannot See" })).client;
}, 60_000);
afterAll(() => instance.stop());

const onTask = (name: string) => ({ org: world.slug, target: "task", id: world.target.taskId!, name });

describe("upload and download", () => {
  it("round-trips the bytes, stores them encrypted under a random name, and audits the upload", async () => {
    const data = Buffer.concat([PNG, randomBytes(200 * 1024 + 123)]);
    const up = await upload(world.client, onTask("Bericht – März (final).png"), data);
    expect(up.status).toBe(201);
    expect(up.file).toMatchObject({ name: "Bericht – März (final).png", contentType: "image/png", size: data.length, targetType: "task" });

    const res = await download(world.client, world.slug, up.file.id);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-length")).toBe(String(data.length));
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="Bericht _ M_rz (final).png"; filename*=UTF-8''Bericht%20%E2%80%93%20M%C3%A4rz%20%28final%29.png`,
    );

    const listed = await world.client.query("files.list", { org: world.slug, targetType: "task", targetId: world.target.taskId });
    expect(listed.status).toBe(200);
    expect(listed.data.map((f: { id: string }) => f.id)).toContain(up.file.id);
    const auditRows = await world.client.query("audit.list", { org: world.slug, targetId: up.file.id });
    expect(auditRows.data.items.map((r: { action: string }) => r.action)).toContain("file.upload");
  });

  it("never writes the plaintext to disk and leaves no temporary file", async () => {
    const marker = `very secret plan ${randomBytes(8).toString("hex")}\n`;
    const up = await upload(world.client, onTask("plan.txt"), marker.repeat(50));
    expect(up.status).toBe(201);
    expect(up.file.contentType).toBe("text/plain");
    const path = blobPathOf(instance, world.tenantId, up.file.id)!;
    expect(path).toMatch(/[0-9a-f]{32}$/);
    const blob = readFileSync(path);
    expect(blob.includes(Buffer.from("very secret plan"))).toBe(false);
    expect(blob.subarray(0, 2).toString()).toBe("OF");
    expect(blobFiles(instance, world.tenantId).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const res = await download(world.client, world.slug, up.file.id);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await res.text()).toBe(marker.repeat(50));
  });

  it("sniffs the type from the content: HTML named .pdf, SVG, executables and scripts are refused", async () => {
    const before = blobFiles(instance, world.tenantId).length;
    const refused: [string, Body][] = [
      ["invoice.pdf", "<!DOCTYPE html><html><script>alert(1)</script></html>"],
      ["logo.png", '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
      ["notes.txt", "hello <script>alert(1)</script>"],
      ["tool.pdf", Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), randomBytes(100)])],
      ["setup.txt", Buffer.concat([Buffer.from("MZ"), randomBytes(100)])],
      ["run.txt", "#!/bin/sh\nrm -rf /\n"],
      ["app.js", "console.log(document.cookie)"],
      ["blob.bin", randomBytes(1000)],
    ];
    for (const [name, body] of refused) {
      const res = await upload(world.client, onTask(name), body);
      expect([name, res.status]).toEqual([name, 415]);
    }
    expect(blobFiles(instance, world.tenantId).length).toBe(before);
    const csv = await upload(world.client, onTask("hours.csv"), "date,hours\n2026-01-01,3\n");
    expect(csv.file.contentType).toBe("text/csv");
    const pdf = await upload(world.client, onTask("a.pdf"), "%PDF-1.7\n%%EOF\n");
    expect(pdf.file.contentType).toBe("application/pdf");
  });

  it("refuses a cross-site upload (the same Origin check as every POST)", async () => {
    const res = await upload(world.client, onTask("x.txt"), "hello", { origin: "https://evil.example" });
    expect(res.status).toBe(403);
    const anonymous = await fetch(`${instance.url}/api/files/upload?${new URLSearchParams(onTask("x.txt"))}`, {
      method: "POST",
      body: "hi",
      headers: { origin: instance.url },
    });
    expect(anonymous.status).toBe(401);
  });

  it("uploads to projects and invoices too, and invoice files need invoice.read", async () => {
    const onProject = await upload(
      world.client,
      { org: world.slug, target: "project", id: world.target.projectId, name: "brief.txt" },
      "brief",
    );
    expect(onProject.status).toBe(201);
    const onInvoice = await upload(
      world.client,
      { org: world.slug, target: "invoice", id: world.target.invoiceId!, name: "po.txt" },
      "purchase order",
    );
    expect(onInvoice.status).toBe(201);
    const noInvoices = (
      await world.client.mutate("roles.create", {
        org: world.slug,
        name: "Files only",
        permissions: ["org.view", "file.read", "project.read.all", "task.read"],
      })
    ).data.id;
    const clerk = (await inviteMember(instance, world.client, world.slug, noInvoices, { name: "Clerk" })).client;
    expect((await download(clerk, world.slug, onInvoice.file.id)).status).toBe(403);
    expect((await download(clerk, world.slug, onProject.file.id)).status).toBe(200);
    const mismatched = await upload(world.client, { org: world.slug, target: "invoice", id: world.target.projectId, name: "x.txt" }, "x");
    expect(mismatched.status).toBe(404);
  });
});

describe("who may reach a file", () => {
  it("refuses another organisation's file id, whichever organisation is named", async () => {
    const id = world.target.attachmentId!;
    expect((await download(other.client, other.slug, id)).status).toBe(404);
    expect((await download(other.client, world.slug, id)).status).toBe(404);
    expect((await download(world.client, world.slug, other.target.attachmentId!)).status).toBe(404);
    const anonymous = await fetch(`${instance.url}/api/files/${id}?org=${world.slug}`);
    expect(anonymous.status).toBe(401);
  });

  it("refuses a member who cannot see the project, as if the file did not exist", async () => {
    const id = world.target.attachmentId!;
    const res = await download(blind, world.slug, id);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain("Notes for");
    expect((await blind.query("files.list", { org: world.slug, targetType: "task", targetId: world.target.taskId })).status).toBe(404);
    expect((await upload(blind, onTask("x.txt"), "sneaky")).status).toBe(404);
  });

  it("refuses uploads over /api/trpc, which carries no file", async () => {
    const res = await world.client.mutate("files.upload", {
      org: world.slug,
      targetType: "task",
      targetId: world.target.taskId,
      name: "x.txt",
    });
    expect(res.status).toBe(400);
  });
});

describe("delete and tampering", () => {
  it("deleting the record deletes the blob", async () => {
    const up = await upload(world.client, onTask("gone.txt"), "soon gone");
    const path = blobPathOf(instance, world.tenantId, up.file.id)!;
    expect(existsSync(path)).toBe(true);
    const del = await world.client.mutate("files.delete", { org: world.slug, id: up.file.id });
    expect(del.status).toBe(200);
    expect(existsSync(path)).toBe(false);
    expect((await download(world.client, world.slug, up.file.id)).status).toBe(404);
  });

  it("deleting a task deletes its attachments, rows and blobs", async () => {
    const task = await world.client.mutate("tasks.create", { org: world.slug, projectId: world.target.projectId, title: "Has files" });
    expect(task.status).toBe(200);
    const on = (name: string) => ({ org: world.slug, target: "task", id: task.data.id, name });
    const files = [await upload(world.client, on("a.txt"), "first"), await upload(world.client, on("b.pdf"), "%PDF-1.7\n%%EOF\n")];
    expect(files.map((f) => f.status)).toEqual([201, 201]);
    const paths = files.map((f) => blobPathOf(instance, world.tenantId, f.file.id)!);
    expect(paths.every((p) => existsSync(p))).toBe(true);
    const kept = blobPathOf(instance, world.tenantId, world.target.attachmentId!)!;

    const del = await world.client.mutate("tasks.delete", { org: world.slug, id: task.data.id });
    expect(del.status).toBe(200);
    expect(paths.map((p) => existsSync(p))).toEqual([false, false]);
    for (const f of files) {
      expect(blobPathOf(instance, world.tenantId, f.file.id)).toBeNull();
      expect((await download(world.client, world.slug, f.file.id)).status).toBe(404);
    }
    expect((await world.client.query("files.list", { org: world.slug, targetType: "task", targetId: task.data.id })).status).toBe(404);
    // Other targets' files stay.
    expect(existsSync(kept)).toBe(true);
  });

  it("deleting a draft invoice deletes its attachments, rows and blobs", async () => {
    const draft = await world.client.mutate("invoices.create", {
      org: world.slug,
      clientId: world.target.clientId,
      lines: [{ description: "Setup", quantity: 1, unitPrice: 10_000 }],
    });
    expect(draft.status).toBe(200);
    const up = await upload(world.client, { org: world.slug, target: "invoice", id: draft.data.id, name: "po.txt" }, "purchase order 42");
    expect(up.status).toBe(201);
    const path = blobPathOf(instance, world.tenantId, up.file.id)!;
    expect(existsSync(path)).toBe(true);
    expect((await world.client.mutate("invoices.delete", { org: world.slug, id: draft.data.id })).status).toBe(200);
    expect(existsSync(path)).toBe(false);
    expect(blobPathOf(instance, world.tenantId, up.file.id)).toBeNull();
  });

  it("a flipped bit in a small blob fails the download before any byte is sent", async () => {
    const up = await upload(world.client, onTask("tamper.txt"), "do not change me");
    const path = blobPathOf(instance, world.tenantId, up.file.id)!;
    const blob = readFileSync(path);
    blob[blob.length - 20]! ^= 1;
    writeFileSync(path, blob);
    const res = await download(world.client, world.slug, up.file.id);
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain("do not change me");
  });

  it("damage in a later chunk aborts the download instead of completing it", async () => {
    const data = Buffer.concat([PNG, randomBytes(300 * 1024)]);
    const up = await upload(world.client, onTask("long.png"), data);
    const path = blobPathOf(instance, world.tenantId, up.file.id)!;
    const blob = readFileSync(path);
    blob[blob.length - 1000]! ^= 0x80;
    writeFileSync(path, blob);
    const res = await download(world.client, world.slug, up.file.id);
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
  });

  it("the chunk format refuses reordered, truncated, extended and moved blobs", async () => {
    const key = symmetricKey(randomBytes(32));
    const aad = { org: "t" + "a".repeat(24), row: "f" + "b".repeat(24) };
    const seal = (data: Buffer, chunk = 16) => {
      const s = new ChunkSealer(key, aad, chunk);
      return { header: s.header, records: [...s.push(data), ...s.finish()] };
    };
    const open = async (parts: Buffer[], a = aad) => {
      const out: Buffer[] = [];
      for await (const p of openChunks(Readable.from(parts), key, a)) out.push(p);
      return Buffer.concat(out);
    };
    const data = Buffer.from("0123456789abcdef".repeat(4) + "tail");
    const { header, records } = seal(data);
    expect(records).toHaveLength(5);
    expect((await open([header, ...records])).equals(data)).toBe(true);
    expect((await open([Buffer.concat([header, ...records])])).equals(data)).toBe(true);
    await expect(open([header, records[1]!, records[0]!, ...records.slice(2)])).rejects.toThrow();
    await expect(open([header, ...records.slice(0, 4)])).rejects.toThrow();
    await expect(open([header, ...records, records[4]!])).rejects.toThrow();
    await expect(open([header, ...records], { ...aad, row: "f" + "c".repeat(24) })).rejects.toThrow();
    const exact = seal(Buffer.alloc(32, 1));
    expect(exact.records).toHaveLength(2);
    await expect(open([exact.header, exact.records[0]!])).rejects.toThrow();
    const empty = seal(Buffer.alloc(0));
    expect((await open([empty.header, ...empty.records])).length).toBe(0);
  });

  it("builds a safe Content-Disposition", () => {
    expect(contentDisposition('a"b\\c\r\n;.txt')).toBe(`attachment; filename="a_b_c___.txt"; filename*=UTF-8''a%22b%5Cc%0D%0A%3B.txt`);
  });
});

describe("limits", () => {
  let small: Instance;
  let owner: Awaited<ReturnType<typeof userWithOrg>>;
  let projectId: string;

  beforeAll(async () => {
    small = await startInstance({ FILE_MAX_BYTES: String(MiB), ORG_QUOTA_BYTES: String(2.5 * MiB) });
    owner = await userWithOrg(small, "limits");
    const client = await owner.client.mutate("clients.create", { org: "limits", name: "C" });
    projectId = (await owner.client.mutate("projects.create", { org: "limits", clientId: client.data.id, name: "P" })).data.id;
  }, 30_000);
  afterAll(() => small.stop());

  const q = (name: string) => ({ org: "limits", target: "project", id: projectId, name });

  it("refuses a file over FILE_MAX_BYTES with 413, by its Content-Length or while streaming, leaving nothing behind", async () => {
    const declared = await upload(owner.client, q("big.txt"), "x".repeat(MiB + 1));
    expect(declared.status).toBe(413);
    const streamed = await upload(owner.client, q("big.pdf"), generated(MiB + 70_000, Buffer.from("%PDF-1.4\n")).stream);
    expect(streamed.status).toBe(413);
    expect(streamed.error.message).toContain("at most 1 MB");
    expect(blobFiles(small, owner.tenantId)).toEqual([]);
    const exactly = await upload(owner.client, q("max.pdf"), generated(MiB, Buffer.from("%PDF-1.4\n")).stream);
    expect(exactly.status).toBe(201);
  });

  it("enforces the organisation's quota", async () => {
    const second = await upload(owner.client, q("two.pdf"), generated(MiB, Buffer.from("%PDF-1.4\n")).stream);
    expect(second.status).toBe(201);
    const third = await upload(owner.client, q("three.pdf"), generated(MiB, Buffer.from("%PDF-1.4\n")).stream);
    expect(third.status).toBe(413);
    expect(third.error.message).toContain("quota");
    expect(blobFiles(small, owner.tenantId)).toHaveLength(2);
    const fits = await upload(owner.client, q("small.txt"), "still fits");
    expect(fits.status).toBe(201);
  });
});

describe("a 100 MB file", () => {
  // node:http on the client side: undici's fetch keeps a streamed request body alive until the
  // response, which would measure the test client rather than the server.
  function send(method: string, path: string, body?: Readable) {
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(
        new URL(path, instance.url),
        { method, headers: { cookie: world.client.cookieHeader(), origin: instance.url } },
        resolve,
      );
      req.on("error", reject);
      if (body) pipeline(body, req).catch(reject);
      else req.end();
    });
  }

  it("streams up and down without loading into memory", async () => {
    const size = 100 * MiB;
    const hash = createHash("sha256");
    const block = randomBytes(64 * 1024);
    let sent = 0;
    const source = new Readable({
      read() {
        if (sent >= size) return void this.push(null);
        const piece = Buffer.from(block);
        if (sent === 0) piece.write("%PDF-1.7\n");
        piece.writeUInt32BE(sent, 100);
        hash.update(piece);
        sent += piece.length;
        this.push(piece);
      },
    });
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    try {
      const up = await send("POST", `/api/files/upload?${new URLSearchParams(onTask("huge.pdf"))}`, source);
      const answer = JSON.parse(Buffer.concat(await up.toArray()).toString());
      expect(up.statusCode).toBe(201);
      expect(answer.file.size).toBe(size);

      const down = await send("GET", `/api/files/${answer.file.id}?org=${world.slug}`);
      expect(down.statusCode).toBe(200);
      const received = createHash("sha256");
      let bytes = 0;
      for await (const piece of down) {
        bytes += piece.length;
        received.update(piece);
      }
      expect(bytes).toBe(size);
      expect(received.digest("hex")).toBe(hash.digest("hex"));
    } finally {
      clearInterval(sampler);
    }
    expect(peak - base).toBeLessThan(50 * MiB);
  }, 120_000);
});
