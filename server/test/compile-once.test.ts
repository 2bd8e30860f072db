import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql, type Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileOnce, kyselyFor, openSqlite } from "../../db/sqlite";

interface TestDB {
  things: { id: string; label: string; n: number };
}

let dir: string;
let db: Kysely<TestDB>;

const byId = compileOnce((k: Kysely<TestDB>, v: { id: string }) =>
  k.selectFrom("things").select(["id", "label", "n"]).where("id", "=", v.id),
);
const page = compileOnce((k: Kysely<TestDB>, v: { min: number; limit: number }) =>
  k
    .selectFrom("things")
    .select("id")
    .where("n", ">=", v.min)
    .where(sql<number>`length(label)`, ">", 0)
    .orderBy("id")
    .limit(v.limit),
);

const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.finally(() => (done = true)).catch(() => {});
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "opslayer-compile-once-"));
  db = kyselyFor<TestDB>(openSqlite(join(dir, "t.sqlite"), { synchronous: "NORMAL" }));
  await db.schema
    .createTable("things")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("label", "text")
    .addColumn("n", "integer")
    .execute();
  await db
    .insertInto("things")
    .values([
      { id: "a", label: "one", n: 1 },
      { id: "b", label: "two", n: 2 },
      { id: "c", label: "three", n: 3 },
    ])
    .execute();
});
afterAll(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe("compileOnce", () => {
  it("compiles the same SQL Kysely would, and binds each call's values", async () => {
    expect(byId.sql).toBe(db.selectFrom("things").select(["id", "label", "n"]).where("id", "=", "x").compile().sql);
    expect(await byId.executeTakeFirst(db, { id: "b" })).toEqual({ id: "b", label: "two", n: 2 });
    expect(await byId.executeTakeFirst(db, { id: "zz" })).toBeUndefined();
    expect(await page.execute(db, { min: 2, limit: 1 })).toEqual([{ id: "b" }]);
    expect(await page.execute(db, { min: 1, limit: 10 })).toEqual([{ id: "a" }, { id: "b" }, { id: "c" }]);
  });

  it("reads the database on every call: a change shows on the next one", async () => {
    await db.updateTable("things").set({ label: "deux" }).where("id", "=", "b").execute();
    expect((await byId.executeTakeFirst(db, { id: "b" }))?.label).toBe("deux");
    await db.deleteFrom("things").where("id", "=", "b").execute();
    expect(await byId.executeTakeFirst(db, { id: "b" })).toBeUndefined();
    await db.insertInto("things").values({ id: "b", label: "two", n: 2 }).execute();
  });

  it("waits for an open transaction instead of reading its uncommitted rows", async () => {
    let rollback!: () => void;
    const gate = new Promise<void>((resolve) => (rollback = resolve));
    const trx = db.transaction().execute(async (t) => {
      await t.insertInto("things").values({ id: "ghost", label: "uncommitted", n: 9 }).execute();
      await gate;
      throw new Error("roll back");
    });
    await new Promise((r) => setImmediate(r));
    const lookup = byId.executeTakeFirst(db, { id: "ghost" });
    expect(await settled(lookup)).toBe(false);
    rollback();
    await expect(trx).rejects.toThrow("roll back");
    expect(await lookup).toBeUndefined();
  });

  it("runs inside a transaction when given one", async () => {
    await db.transaction().execute(async (t) => {
      await t.insertInto("things").values({ id: "d", label: "four", n: 4 }).execute();
      expect((await byId.executeTakeFirst(t, { id: "d" }))?.label).toBe("four");
      await t.deleteFrom("things").where("id", "=", "d").execute();
    });
  });

  it("refuses a stand-in used other than as a bound value, and anything but a select", () => {
    expect(() =>
      compileOnce((k: Kysely<TestDB>, v: { id?: string }) => {
        let query = k.selectFrom("things").select("id");
        if (v.id) query = query.where("id", "=", "x");
        return query;
      }),
    ).toThrow(/id used other than as a bound value/);
    expect(() => compileOnce((k: Kysely<TestDB>, v: { id: string }) => k.deleteFrom("things").where("id", "=", v.id))).toThrow(
      /selects only/,
    );
  });
});
