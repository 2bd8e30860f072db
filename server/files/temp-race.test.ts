import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, expect, it } from "vitest";
import { symmetricKey } from "../crypto/envelope";
import { blobDir, writeEncryptedBlob } from "./storage";

/**
 * An upload whose body fails at once (the client's connection already gone) must leave no temporary
 * file: the write stream's open could still be in flight when the failure was cleaned up, so the
 * unlink ran first and the open then created an empty `.tmp` that stayed (seen twice in ~4,000 cut
 * uploads against a running server).
 */
const dataDir = mkdtempSync(join(tmpdir(), "opslayer-temprace-"));
const tenantId = "t" + "a".repeat(24);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it("leaves no temporary file when the body fails before the file is open", async () => {
  const key = symmetricKey(randomBytes(32));
  const attempts = Array.from({ length: 200 }, (_, i) =>
    writeEncryptedBlob({
      source: new Readable({
        read() {
          this.destroy(Object.assign(new Error("aborted"), { code: "ECONNRESET" }));
        },
      }),
      dataDir,
      tenantId,
      blobName: randomBytes(16).toString("hex"),
      key,
      aad: { org: tenantId, row: `f${i}` },
      name: "cut.txt",
      limit: 1024 * 1024,
      limitReason: "size",
    }).then(
      () => "stored",
      (error: Error) => error.message,
    ),
  );
  expect(new Set(await Promise.all(attempts))).toEqual(new Set(["aborted"]));
  // Give any open still in flight the time to land (no test waits on the clock for its verdict:
  // a leftover only becomes visible, it is never created, by waiting).
  await sleep(200);
  expect(readdirSync(blobDir(dataDir, tenantId))).toEqual([]);
});
