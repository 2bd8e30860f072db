import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runningServer } from "../process/data-dir-lock";
import { startSupervised, type Supervised } from "./support/supervised";

const running: Supervised[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.cleanup();
});

const LISTENING = /opslayer listening on http:\/\/127\.0\.0\.1:(\d+)/;

describe("npm start holds its DATA_DIR", () => {
  it("publishes the worker's pid, port, key id and control socket; a second server on the same DATA_DIR exits 78 naming it; a clean stop frees it", async () => {
    const first = startSupervised();
    running.push(first);
    const port = Number((await first.waitFor(LISTENING))[1]);
    const dataDir = join(first.dir, "data");
    const worker = Number(/worker (\d+) started/.exec(first.output())![1]);
    await expect.poll(() => runningServer(dataDir)?.port).toBe(port);
    expect(runningServer(dataDir)).toEqual({
      pid: worker,
      port,
      startedAt: expect.any(String),
      keyIds: [expect.stringMatching(/^[0-9a-f]{16}$/)],
      controlSocket: join(dataDir, "run", "control.sock"),
    });

    const second = startSupervised({ env: { DATA_DIR: dataDir } });
    running.push(second);
    expect((await second.exited).code).toBe(78);
    expect(second.output()).toContain(`is in use by the opslayer server running on this DATA_DIR (pid ${worker}, port ${port}`);
    expect(second.output()).not.toMatch(LISTENING);

    first.kill("SIGTERM");
    expect((await first.exited).code).toBe(0);
    expect(runningServer(dataDir)).toBeNull();
    expect(existsSync(join(dataDir, "server.json"))).toBe(false);
  }, 120_000);
});
