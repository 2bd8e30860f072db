import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { generateMasterKeyBase64 } from "../crypto/keys";
import { restartDelay } from "../process/supervisor";
import { CRASH_TRIGGER, isAlive, startSupervised, type Supervised } from "./support/supervised";

const LISTENING = /opslayer listening on (http:\/\/127\.0\.0\.1:\d+)/;
const STARTED = /\[supervisor\] worker (\d+) started/;

let running: Supervised | undefined;
afterEach(async () => {
  await running?.cleanup();
  running = undefined;
});

async function metrics(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/metrics`, { headers });
  return { status: res.status, text: await res.text(), requestId: res.headers.get("x-request-id") };
}

const restartsTotal = (text: string) => Number(/^opslayer_worker_restarts_total (\d+)$/m.exec(text)?.[1]);

/** Waits for the next worker to start and listen after `from`; gives its pid, URL and where its lines end. */
async function nextWorker(server: Supervised, from = 0) {
  const started = await server.waitFor(STARTED, from);
  const listening = await server.waitFor(LISTENING, started.end);
  return { pid: Number(started[1]), url: listening[1]!, end: listening.end };
}

describe("restart back-off", () => {
  it("doubles from 0.5 s and stops at 30 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map(restartDelay)).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
});

describe("the supervisor behind npm start", { timeout: 180_000 }, () => {
  it("starts a new worker when the worker is killed, counts it in /metrics, and stops cleanly on SIGTERM", async () => {
    const server = (running = startSupervised());
    const first = await nextWorker(server);
    const before = await metrics(first.url);
    expect(before.status).toBe(200);
    expect(restartsTotal(before.text)).toBe(0);
    expect(before.text).toMatch(/^opslayer_worker_start_time_seconds \d+/m);
    expect(before.text).toMatch(/^process_resident_memory_bytes \d+/m);

    process.kill(first.pid, "SIGKILL");
    await server.waitFor(new RegExp(`worker ${first.pid} died \\(signal SIGKILL\\).*restart 1 in 0\\.5 s`), first.end);
    const second = await nextWorker(server, first.end);
    expect(second.pid).not.toBe(first.pid);
    expect(isAlive(first.pid)).toBe(false);
    const after = await metrics(second.url);
    expect(after.status).toBe(200);
    expect(restartsTotal(after.text)).toBe(1);

    server.kill("SIGTERM");
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const tail = server.output().slice(second.end);
    expect(tail).toContain(`SIGTERM: stopping worker ${second.pid}`);
    expect(tail).toContain(`worker ${second.pid} stopped (exit code 0)`);
    expect(tail).not.toMatch(STARTED);
    expect(isAlive(second.pid)).toBe(false);
  });

  it("logs an uncaught exception and an unhandled rejection with their stack and request id, answers that request, and restarts", async () => {
    const server = (running = startSupervised({ preload: [CRASH_TRIGGER] }));
    const first = await nextWorker(server);

    const crashed = await fetch(`${first.url}/metrics?crash=throw`, { headers: { "x-request-id": "crash-test-1" } });
    // The request that was running when the process crashed still gets its answer.
    expect(crashed.status).toBe(200);
    expect(crashed.headers.get("x-request-id")).toBe("crash-test-1");
    await crashed.text();
    const logged = await server.waitFor(
      /\[crash\] uncaught exception in request crash-test-1: Error: test crash: thrown from a request\n\s+at /,
      first.end,
    );
    await server.waitFor(new RegExp(`worker ${first.pid} died \\(exit code 1\\).*restart 1 in 0\\.5 s`), logged.index);
    const second = await nextWorker(server, logged.end);
    expect(restartsTotal((await metrics(second.url)).text)).toBe(1);

    const rejected = await fetch(`${second.url}/metrics?crash=reject`, { headers: { "x-request-id": "crash-test-2" } });
    expect(rejected.status).toBe(200);
    await rejected.text();
    const logged2 = await server.waitFor(
      /\[crash\] unhandled rejection in request crash-test-2: Error: test crash: rejected in a request\n\s+at /,
      second.end,
    );
    // A second death in a row waits twice as long.
    await server.waitFor(new RegExp(`worker ${second.pid} died \\(exit code 1\\).*restart 2 in 1 s`), logged2.index);
    const third = await nextWorker(server, logged2.end);
    expect(restartsTotal((await metrics(third.url)).text)).toBe(2);

    server.kill("SIGTERM");
    expect((await server.exited).code).toBe(0);
  });

  it("stops with 78 and starts nothing more when the worker exits on bad configuration", async () => {
    // The primary validates the environment, but a key file readable by others is only found when
    // the worker opens it: that is the worker's exit code 78.
    const keys = mkdtempSync(join(tmpdir(), "opslayer-loose-key-"));
    const loose = join(keys, "master.key");
    writeFileSync(loose, `${generateMasterKeyBase64()}\n`);
    chmodSync(loose, 0o644);
    try {
      const server = (running = startSupervised({ env: { MASTER_KEY_FILE: loose } }));
      expect(await server.exited).toEqual({ code: 78, signal: null });
      expect(server.output()).toContain("MASTER_KEY_FILE");
      expect(server.output()).toMatch(/worker \d+ stopped on bad configuration \(exit code 78\): not restarting/);
      expect(server.output().match(new RegExp(STARTED.source, "g"))).toHaveLength(1);
    } finally {
      rmSync(keys, { recursive: true, force: true });
    }
  });

  it("exits 78 without starting a worker when a setting is invalid", async () => {
    const server = (running = startSupervised({ env: { PORT: "not-a-port" } }));
    expect(await server.exited).toEqual({ code: 78, signal: null });
    expect(server.output()).toContain("PORT");
    expect(server.output()).not.toMatch(STARTED);
  });
});
