import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Migrator, sql, type Migration } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateFile, migrationsAreCurrent } from "./migrate";
import { kyselyFor, openSqlite } from "./sqlite";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "opslayer-migrate-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const table = (name: string): Migration => ({
  async up(db) {
    await sql`create table ${sql.ref(name)} (id integer primary key)`.execute(db);
  },
});
const base = { "0001_a": table("a"), "0002_b": table("b") };

function tables(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("select name from sqlite_master where type = 'table' and name not like 'kysely_%' order by name").pluck().all();
  } finally {
    db.close();
  }
}

describe("upgrading a file", () => {
  it("sets up a new file through Kysely's migrator, then applies only what is pending, recorded as Kysely records it", async () => {
    const file = join(dir, "one.sqlite");
    new Database(file).close();
    expect(await migrateFile(file, "FULL", base, "one")).toEqual(["0001_a", "0002_b"]);
    const later = { ...base, "0003_c": table("c") };
    expect(await migrateFile(file, "FULL", later, "one")).toEqual(["0003_c"]);
    expect(tables(file)).toEqual(["a", "b", "c"]);

    // Kysely's own migrator agrees that every migration ran, and finds nothing to do.
    const db = kyselyFor(openSqlite(file, { synchronous: "FULL", mustExist: true }));
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(later) } });
      const state = await migrator.getMigrations();
      expect(state.map((m) => [m.name, m.executedAt instanceof Date && !Number.isNaN(m.executedAt.getTime())])).toEqual([
        ["0001_a", true],
        ["0002_b", true],
        ["0003_c", true],
      ]);
      expect((await migrator.migrateToLatest()).results).toEqual([]);
    } finally {
      await db.destroy();
    }
    const raw = new Database(file, { readonly: true });
    expect(migrationsAreCurrent(raw, later)).toBe(true);
    raw.close();
  });

  it("refuses a new migration that sorts before an applied one, and changes nothing", async () => {
    const file = join(dir, "order.sqlite");
    new Database(file).close();
    await migrateFile(file, "FULL", base, "order");
    await expect(migrateFile(file, "FULL", { ...base, "0001_aa": table("aa") }, "order")).rejects.toThrow(
      /0001_aa sorts before the applied 0002_b/,
    );
    expect(tables(file)).toEqual(["a", "b"]);
  });

  it("refuses a file with a migration this version does not know", async () => {
    const file = join(dir, "unknown.sqlite");
    new Database(file).close();
    await migrateFile(file, "FULL", { ...base, "0003_c": table("c") }, "unknown");
    await expect(migrateFile(file, "FULL", { ...base, "0004_d": table("d") }, "unknown")).rejects.toThrow(
      /0003_c, which this version does not know/,
    );
    expect(tables(file)).toEqual(["a", "b", "c"]);
  });

  it("undoes every pending migration when one of them fails", async () => {
    const file = join(dir, "atomic.sqlite");
    new Database(file).close();
    await migrateFile(file, "FULL", base, "atomic");
    const failing: Migration = {
      async up(db) {
        await sql`create table half (x integer)`.execute(db);
        throw new Error("boom");
      },
    };
    await expect(migrateFile(file, "FULL", { ...base, "0003_c": table("c"), "0004_fail": failing }, "atomic")).rejects.toThrow(
      /0004_fail failed: boom/,
    );
    expect(tables(file)).toEqual(["a", "b"]);
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare("select name from kysely_migration order by name").pluck().all()).toEqual(["0001_a", "0002_b"]);
    raw.close();
  });
});
