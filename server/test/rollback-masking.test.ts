import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attempt, load } from "../../app/lib/api.server";
import { destroyHandle, kyselyFor, openSqlite } from "../../db/sqlite";
import { createCaller } from "../routers/_app";
import { createContext } from "../trpc/context";
import { STORAGE_FULL_MESSAGE } from "../storage/storage-full";
import { userWithOrg } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";

/**
 * A real SQLITE_FULL without filling a disk: `PRAGMA max_page_count` caps a database at its current
 * size. SQLite rolls the whole transaction back by itself on that error, so the ROLLBACK that
 * Kysely issues next used to fail with "cannot rollback - no transaction is active" and replace the
 * real error (issue 27).
 */
const big = "x".repeat(20_000);

describe("a transaction that SQLite already rolled back", () => {
  const dir = mkdtempSync(join(tmpdir(), "opslayer-rollback-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("rethrows the original SQLITE_FULL, not the failed ROLLBACK, and the handle works afterwards", async () => {
    const raw = openSqlite(join(dir, "small.sqlite"), { synchronous: "FULL" });
    const db = kyselyFor<{ t: { x: string } }>(raw);
    try {
      await sql`create table t (x text)`.execute(db);
      await db.insertInto("t").values({ x: "kept" }).execute();
      const pages = raw.pragma("page_count", { simple: true }) as number;
      raw.pragma(`max_page_count = ${pages}`);

      const failure = await db
        .transaction()
        .execute(async (trx) => {
          for (let i = 0; i < 50; i++) await trx.insertInto("t").values({ x: big }).execute();
        })
        .then(
          () => null,
          (error: unknown) => error as { code?: string; message: string },
        );
      expect(failure?.code).toBe("SQLITE_FULL");
      expect(failure?.message).not.toMatch(/rollback/i);
      expect(raw.inTransaction).toBe(false);

      // Nothing of the failed transaction is there, and the single connection is usable again.
      expect(await db.selectFrom("t").select("x").execute()).toEqual([{ x: "kept" }]);
      raw.pragma(`max_page_count = ${pages + 100}`);
      await db.transaction().execute((trx) => trx.insertInto("t").values({ x: "after" }).execute());
      expect((await db.selectFrom("t").select("x").execute()).map((r) => r.x)).toEqual(["kept", "after"]);
    } finally {
      await destroyHandle(db);
    }
  });

  it("still rolls back a transaction that is open when the callback throws", async () => {
    const raw = openSqlite(join(dir, "open.sqlite"), { synchronous: "FULL" });
    const db = kyselyFor<{ t: { x: string } }>(raw);
    try {
      await sql`create table t (x text)`.execute(db);
      await expect(
        db.transaction().execute(async (trx) => {
          await trx.insertInto("t").values({ x: "gone" }).execute();
          throw new Error("refused by a rule");
        }),
      ).rejects.toThrow("refused by a rule");
      expect(raw.inTransaction).toBe(false);
      expect(await db.selectFrom("t").select("x").execute()).toEqual([]);
    } finally {
      await destroyHandle(db);
    }
  });
});

describe("SQLITE_FULL in a procedure, over HTTP", () => {
  let instance: Instance;
  let owner: Awaited<ReturnType<typeof userWithOrg>>;
  let projectId: string;

  beforeAll(async () => {
    instance = await startInstance({ SUPPORT_EMAIL: "ops@example.test", DISK_BALLAST_MB: "0" });
    owner = await userWithOrg(instance, "capped");
    const client = await owner.client.mutate("clients.create", { org: "capped", name: "Client", contactEmail: "c@capped.test" });
    const project = await owner.client.mutate("projects.create", {
      org: "capped",
      clientId: client.data.id,
      name: "Project",
      code: "cap-1",
    });
    projectId = project.data.id;
  }, 60_000);
  afterAll(() => instance.stop());

  it("answers 507 with the sentence, logs the original SQLITE_FULL, and reads keep working", async () => {
    const lease = await instance.services.pool.acquire(owner.tenantId);
    try {
      const pages = (await sql<{ page_count: number }>`pragma page_count`.execute(lease.db)).rows[0]!.page_count;
      await sql.raw(`pragma max_page_count = ${pages}`).execute(lease.db);
    } finally {
      lease.release();
    }

    const refused = await owner.client.mutate("tasks.create", { org: "capped", projectId, title: "Too big", description: big });
    expect(refused.status).toBe(507);
    expect(refused.error).toMatchObject({ message: STORAGE_FULL_MESSAGE, code: "STORAGE_FULL" });
    expect(JSON.stringify(refused.error)).not.toMatch(/sqlite|rollback|transaction|stack/i);

    const logged = instance.logs.join("\n");
    expect(logged).toContain("SQLITE_FULL");
    expect(logged).not.toContain("cannot rollback");

    const list = await owner.client.query("tasks.list", { org: "capped" });
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.data)).not.toContain("Too big");
  });

  it("reaches Remix loaders as a 507 Response and actions as the sentence on the form", async () => {
    // The server-side caller that loaders and actions get (server/http/remix.ts), with the owner's cookie.
    const ctx = await createContext(instance.services, {
      cookieHeader: owner.client.cookieHeader(),
      info: { ip: "127.0.0.1", userAgent: "vitest" },
      origin: instance.url,
      setCookie: () => {},
    });
    const api = createCaller(ctx);
    const request = new Request(`${instance.url}/o/capped/tasks`);
    const write = () => api.tasks.create({ org: "capped", projectId, title: "Too big", description: big });

    const thrown = await load(request, write).then(
      () => null,
      (error: unknown) => error,
    );
    expect(thrown).toBeInstanceOf(Response);
    expect((thrown as Response).status).toBe(507);
    expect(await (thrown as Response).text()).toBe(STORAGE_FULL_MESSAGE);

    expect(await attempt(request, write)).toEqual({ ok: false, message: STORAGE_FULL_MESSAGE, fieldErrors: {} });
  });
});
