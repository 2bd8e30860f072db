import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { migrateToLatest } from "../migrate";
import { kyselyFor, openSqlite, type Synchronous } from "../sqlite";
import { controlMigrations } from "./migrations";
import type { ControlDB } from "./schema";

export type ControlDb = Kysely<ControlDB>;

export async function openControlDb(dataDir: string, synchronous: Synchronous): Promise<ControlDb> {
  mkdirSync(dataDir, { recursive: true });
  const db = kyselyFor<ControlDB>(openSqlite(join(dataDir, "control.sqlite"), { synchronous }));
  try {
    await migrateToLatest(db, controlMigrations, "control database");
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}
