import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { sql, type Kysely } from "kysely";
import { migrateToLatest } from "../migrate";
import { kyselyFor, openSqlite, type Synchronous } from "../sqlite";
import { controlMigrations } from "./migrations";
import type { ControlDB } from "./schema";

export type ControlDb = Kysely<ControlDB>;

export async function openControlDb(dataDir: string, synchronous: Synchronous): Promise<ControlDb> {
  mkdirSync(dataDir, { recursive: true });
  const sqlite = openSqlite(join(dataDir, "control.sqlite"), { synchronous });
  // The control DB holds every organisation's wrapped data key: a purge must leave no old copy of a
  // row in a freed cell or page (SQLite's default keeps them until reused). Costs a zeroing write
  // per delete; the control DB is small and written rarely. The WAL is dealt with by
  // shredControlWal (a TRUNCATE checkpoint), which this pragma cannot reach.
  sqlite.pragma("secure_delete = ON");
  const db = kyselyFor<ControlDB>(sqlite);
  try {
    await migrateToLatest(db, controlMigrations, "control database");
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

/**
 * Copies every WAL frame into the database and truncates the WAL to zero bytes, so old versions of
 * rows (a purged organisation's wrapped key) survive in neither. Returns false when a reader kept
 * it from completing (its snapshot still needs old frames); the caller retries later.
 */
export async function shredControlWal(db: ControlDb, attempts = 5): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    const { rows } = await sql<{ busy: number; log: number; checkpointed: number }>`pragma wal_checkpoint(TRUNCATE)`.execute(db);
    const r = rows[0];
    if (r && r.busy === 0 && r.log === r.checkpointed) return true;
    await new Promise((resolve) => setTimeout(resolve, 50 * (i + 1)));
  }
  return false;
}
