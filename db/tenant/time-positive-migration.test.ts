import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateFile } from "../migrate";
import { tenantMigrations } from "./migrations";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "opslayer-0017-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const before = Object.fromEntries(Object.entries(tenantMigrations).filter(([name]) => name < "0017"));

describe("migration 0017: time that is positive", () => {
  it("flags the entries already wrong (−1,800 s, −3,540 s, zero), leaves good and running ones, and refuses new wrong ones", async () => {
    const file = join(dir, "t.sqlite");
    new Database(file).close();
    await migrateFile(file, "FULL", before, "t");
    const raw = new Database(file);
    raw.pragma("foreign_keys = OFF");
    const insert = raw.prepare(
      `insert into time_entries (id, member_id, project_id, started_at, ended_at, duration_seconds, hourly_rate, created_at, updated_at)
       values (?, 'u1', 'p1', ?, ?, ?, 10000, 1, 1)`,
    );
    const gap = Date.UTC(2025, 2, 30, 1, 30);
    insert.run("e-gap-half", gap, gap - 1_800_000, -1800);
    insert.run("e-gap-minute", Date.UTC(2025, 2, 30, 1, 59), Date.UTC(2025, 2, 30, 1, 0), -3540);
    insert.run("e-zero", gap, gap, 0);
    insert.run("e-good", gap, gap + 3_600_000, 3600);
    insert.run("e-running", gap + 7_200_000, null, 0);
    insert.run("e-1969", Date.UTC(1969, 11, 31, 9), Date.UTC(1969, 11, 31, 10), 3600);
    raw.close();

    expect(await migrateFile(file, "FULL", tenantMigrations, "t")).toEqual(Object.keys(tenantMigrations).filter((n) => n >= "0017"));
    const db = new Database(file);
    try {
      expect(db.prepare("select id, problem from time_entries order by id").all()).toEqual([
        { id: "e-1969", problem: null },
        { id: "e-gap-half", problem: "ends_before_start" },
        { id: "e-gap-minute", problem: "ends_before_start" },
        { id: "e-good", problem: null },
        { id: "e-running", problem: null },
        { id: "e-zero", problem: "ends_before_start" },
      ]);
      // A flagged row keeps its times while its note changes; it cannot lose the flag with the times still wrong.
      db.prepare("update time_entries set note = 'to fix' where id = 'e-gap-half'").run();
      expect(() => db.prepare("update time_entries set problem = null where id = 'e-gap-half'").run()).toThrow(
        "time entry must end at least a second after it starts",
      );
      expect(() => db.prepare("update time_entries set ended_at = started_at, duration_seconds = 0 where id = 'e-good'").run()).toThrow(
        "time entry must end at least a second after it starts",
      );
      expect(() =>
        db
          .prepare(
            `insert into time_entries (id, member_id, project_id, started_at, ended_at, duration_seconds, hourly_rate, created_at, updated_at)
             values ('e-new', 'u1', 'p1', ?, ?, -1, 0, 1, 1)`,
          )
          .run(gap, gap - 1000),
      ).toThrow("time entry must end at least a second after it starts");
    } finally {
      db.close();
    }
  });
});
