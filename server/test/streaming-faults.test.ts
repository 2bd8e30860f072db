import { existsSync, readdirSync } from "node:fs";
import { request, type ClientRequest } from "node:http";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportsIdle } from "../export/jobs";
import { ok } from "./support/client";
import { startInstance, type Instance } from "./support/instance";
import { orgWithData, type Target } from "./support/world";

/**
 * Every streaming route under faults a client can cause: bodies refused by type, size and quota,
 * bodies aborted half-way, bodies trickled in, downloads abandoned half-way — many at once. A request
 * may fail; the process must not (issue 27: a destroyed write stream's late `error` ended it). The
 * instance runs in this process, so a crash fails this file, and /proc/self/fd counts its descriptors.
 */

const KiB = 1024;
const FILE_MAX = 512 * KiB;
const QUOTA = 2 * 1024 * KiB;
const PARALLEL = 30;

let instance: Instance;
let world: Awaited<ReturnType<typeof orgWithData>>;
let full: Awaited<ReturnType<typeof orgWithData>>;

interface Sent {
  status: number | "aborted";
  body: Buffer;
}

/**
 * One request on its own connection (no keep-alive pool, so a test socket never counts as a leak).
 * `pieces` are written `gapMs` apart; `abortAfter` pieces in, the client drops the connection;
 * `abortResponseAfter` bytes of the answer in, likewise.
 */
function send(
  method: string,
  path: string,
  opts: {
    cookie: string;
    pieces?: Buffer[];
    length?: number | null;
    gapMs?: number;
    abortAfter?: number;
    abortResponseAfter?: number;
  },
): Promise<Sent> {
  const pieces = opts.pieces ?? [];
  const total = pieces.reduce((n, p) => n + p.length, 0);
  const headers: Record<string, string> = { cookie: opts.cookie };
  const length = opts.length === undefined ? total : opts.length;
  if (method === "POST") Object.assign(headers, { origin: instance.url, "content-type": "application/octet-stream" });
  if (length !== null && method === "POST") headers["content-length"] = String(length);
  return new Promise((resolve) => {
    const req = request(`${instance.url}${path}`, { method, headers, agent: false });
    let done = false;
    const finish = (s: Sent) => {
      if (done) return;
      done = true;
      resolve(s);
    };
    req.on("error", () => finish({ status: "aborted", body: Buffer.alloc(0) }));
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let got = 0;
      res.on("data", (c: Buffer) => {
        chunks.push(c);
        got += c.length;
        if (opts.abortResponseAfter !== undefined && got >= opts.abortResponseAfter) {
          req.destroy();
          finish({ status: "aborted", body: Buffer.concat(chunks) });
        }
      });
      res.on("error", () => finish({ status: "aborted", body: Buffer.concat(chunks) }));
      res.on("end", () => finish({ status: res.statusCode!, body: Buffer.concat(chunks) }));
    });
    void (async () => {
      for (const [i, piece] of pieces.entries()) {
        if (done || req.destroyed) return;
        if (opts.abortAfter === i) {
          req.destroy();
          return finish({ status: "aborted", body: Buffer.alloc(0) });
        }
        if (!req.write(piece)) await drainedOrClosed(req);
        if (opts.gapMs) await sleep(opts.gapMs);
      }
      req.end();
    })();
  });
}

function drainedOrClosed(req: ClientRequest) {
  return new Promise<void>((resolve) => {
    const done = () => {
      req.off("drain", done).off("close", done);
      resolve();
    };
    req.on("drain", done).on("close", done);
  });
}

const split = (buf: Buffer, size: number) =>
  Array.from({ length: Math.ceil(buf.length / size) }, (_, i) => buf.subarray(i * size, (i + 1) * size));
const uploadPath = (o: { slug: string; target: Target }, name: string) =>
  `/api/files/upload?${new URLSearchParams({ org: o.slug, target: "task", id: o.target.taskId!, name })}`;
const cookieOf = (o: { client: { cookieHeader(): string } }) => o.client.cookieHeader();

const fdCount = () => readdirSync("/proc/self/fd").length;
function tempFiles() {
  const dir = join(instance.dataDir, "blobs");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".tmp"));
}

/** The descriptor count once sockets being torn down are gone: polled, never timed. */
async function settledFds(limit: number) {
  let n = fdCount();
  for (let i = 0; i < 100 && n > limit; i++) {
    await sleep(20);
    n = fdCount();
  }
  return n;
}

/** A normal request still succeeds: the server answers and stores a file. */
async function stillServes() {
  const listed = await send(
    "GET",
    `/api/trpc/files.list?input=${encodeURIComponent(JSON.stringify({ org: world.slug, targetType: "task", targetId: world.target.taskId }))}`,
    { cookie: cookieOf(world) },
  );
  expect(listed.status).toBe(200);
  const up = await send("POST", uploadPath(world, "after.txt"), { cookie: cookieOf(world), pieces: [Buffer.from("still here\n")] });
  expect(up.status).toBe(201);
}

let baseline: number;

beforeAll(async () => {
  instance = await startInstance({ FILE_MAX_BYTES: String(FILE_MAX), ORG_QUOTA_BYTES: String(QUOTA) });
  world = await orgWithData(instance, "faults");
  full = await orgWithData(instance, "faults-full");
  // Fill "full" to within 300 kB of its quota, so a 400 kB body passes the size limit but not the quota.
  const text = Buffer.from("x".repeat(99) + "\n");
  for (let i = 0; i < 4; i++) {
    const up = await send("POST", uploadPath(full, `fill-${i}.txt`), {
      cookie: cookieOf(full),
      pieces: [Buffer.concat(Array(4300).fill(text))],
    });
    expect(up.status).toBe(201);
  }
  await stillServes();
  baseline = fdCount();
}, 120_000);
afterAll(() => instance?.stop());

const zeros = Buffer.alloc(200 * KiB);
const text = (n: number) => Buffer.from("plain words\n".repeat(Math.ceil(n / 12)).slice(0, n));

async function many(kind: () => Promise<Sent>, n = PARALLEL) {
  return Promise.all(Array.from({ length: n }, kind));
}

describe("uploads the server refuses or the client abandons", () => {
  it("refuses a type it does not accept (200 kB of zeros named z.bin), in parallel, and lives", async () => {
    const results = await many(() => send("POST", uploadPath(world, "z.bin"), { cookie: cookieOf(world), pieces: split(zeros, 16 * KiB) }));
    for (const r of results) expect(r.status).toBe(415);
    await stillServes();
  });

  it("refuses a body over FILE_MAX_BYTES, declared up front and streamed without a length", async () => {
    const big = text(FILE_MAX + 100 * KiB);
    const declared = await many(
      () => send("POST", uploadPath(world, "big.txt"), { cookie: cookieOf(world), pieces: split(big, 32 * KiB) }),
      15,
    );
    const undeclared = await many(
      () => send("POST", uploadPath(world, "big.txt"), { cookie: cookieOf(world), pieces: split(big, 32 * KiB), length: null }),
      15,
    );
    for (const r of [...declared, ...undeclared]) expect(r.status).toBe(413);
    await stillServes();
  });

  it("refuses a body over the organisation's quota, declared and streamed", async () => {
    const body = text(400 * KiB);
    const declared = await many(
      () => send("POST", uploadPath(full, "q.txt"), { cookie: cookieOf(full), pieces: split(body, 32 * KiB) }),
      15,
    );
    const undeclared = await many(
      () => send("POST", uploadPath(full, "q.txt"), { cookie: cookieOf(full), pieces: split(body, 32 * KiB), length: null }),
      15,
    );
    for (const r of [...declared, ...undeclared]) expect(r.status).toBe(413);
    await stillServes();
  });

  it("survives clients that drop the connection half-way through the body, before and after the type verdict", async () => {
    const body = text(400 * KiB);
    const logsFrom = instance.logs.length;
    const early = await many(
      () => send("POST", uploadPath(world, "cut.txt"), { cookie: cookieOf(world), pieces: split(body, 16 * KiB), abortAfter: 2 }),
      15,
    );
    const late = await many(
      () => send("POST", uploadPath(world, "cut.txt"), { cookie: cookieOf(world), pieces: split(body, 16 * KiB), abortAfter: 12 }),
      15,
    );
    for (const r of [...early, ...late]) expect(r.status).toBe("aborted");
    // More bytes than Content-Length: Node answers the rest 400 and cuts the connection under the upload.
    await many(() => send("POST", uploadPath(world, "lie.txt"), { cookie: cookieOf(world), pieces: [text(200 * KiB)], length: 100 }), 15);
    await stillServes();
    // A hang-up is the client's doing: logged as one line each, never as a fault with its stack.
    const cut = instance.logs.slice(logsFrom).filter((line) => line.includes("/api/files/upload"));
    expect(cut.length).toBeGreaterThan(0);
    expect(cut.filter((line) => /\n\s+at /.test(line))).toEqual([]);
  });

  it("handles bodies sent slowly, refused and accepted", async () => {
    const slowRefused = await many(
      () =>
        send("POST", uploadPath(world, "z.bin"), {
          cookie: cookieOf(world),
          pieces: split(zeros.subarray(0, 80 * KiB), 8 * KiB),
          gapMs: 15,
        }),
      20,
    );
    const slowAccepted = await many(
      () => send("POST", uploadPath(world, "slow.txt"), { cookie: cookieOf(world), pieces: split(text(20 * KiB), 2 * KiB), gapMs: 15 }),
      5,
    );
    for (const r of slowRefused) expect(r.status).toBe(415);
    for (const r of slowAccepted) expect(r.status).toBe(201);
    await stillServes();
  });
});

describe("downloads the client abandons", () => {
  it("serves a file to many readers while half of them hang up after the first bytes", async () => {
    const up = await send("POST", uploadPath(world, "large.txt"), { cookie: cookieOf(world), pieces: [text(FILE_MAX - 1)] });
    expect(up.status).toBe(201);
    const id = (JSON.parse(up.body.toString()) as { file: { id: string } }).file.id;
    const path = `/api/files/${id}?org=${world.slug}`;
    const results = await many(() => send("GET", path, { cookie: cookieOf(world) }), 15);
    const dropped = await many(() => send("GET", path, { cookie: cookieOf(world), abortResponseAfter: 1 }), 15);
    for (const r of results) expect([r.status, r.body.length]).toEqual([200, FILE_MAX - 1]);
    for (const r of dropped) expect(r.status).toBe("aborted");
    await stillServes();
  });

  it("serves an export to many readers while half of them hang up after the first bytes", async () => {
    ok(await world.client.mutate("exports.start", { org: world.slug }), "start");
    await exportsIdle(instance.services);
    const [row] = ok(await world.client.query("exports.list", { org: world.slug }), "list");
    expect(row.status).toBe("done");
    const results = await many(() => send("GET", row.downloadPath, { cookie: cookieOf(world) }), 15);
    const dropped = await many(() => send("GET", row.downloadPath, { cookie: cookieOf(world), abortResponseAfter: 1 }), 15);
    for (const r of results) expect([r.status, r.body.length]).toEqual([200, row.bytes]);
    for (const r of dropped) expect(r.status).toBe("aborted");
    await stillServes();
  });
});

describe("afterwards", () => {
  it("left no temporary file and no open descriptor behind", async () => {
    await stillServes();
    expect(tempFiles()).toEqual([]);
    // A few descriptors of slack: the SQLite pool may have opened a file the baseline had not.
    const after = await settledFds(baseline + 4);
    expect(after).toBeLessThanOrEqual(baseline + 4);
  });
});
