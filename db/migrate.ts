import type Database from "better-sqlite3";
import { Migrator, sql, type Kysely, type Migration } from "kysely";
import { kyselyFor, openSqlite, type Synchronous } from "./sqlite";

export class MigrationError extends Error {
  override name = "MigrationError";
}

/** Applies pending migrations; the migration list is code, so the bundle never reads a folder at run time. */
export async function migrateToLatest<DB>(db: Kysely<DB>, migrations: Record<string, Migration>, label: string) {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new MigrationError(`${label}: migration ${failed} failed: ${String((error as Error).message ?? error)}`);
  }
  return results?.filter((r) => r.status === "Success").map((r) => r.migrationName) ?? [];
}

/**
 * Runs the pending migrations in ONE write transaction. Kysely's SQLite adapter has no migration
 * lock and no transactional DDL, so its migrator would commit statement by statement: a failure
 * half-way would leave a half-migrated file, each statement would pay its own fsync, and another
 * process opening the same file meanwhile could interleave its own migrator's statements. Holding
 * BEGIN IMMEDIATE on the handle's single connection (every migrator query runs on it) makes the
 * upgrade all-or-nothing and makes other writers wait for the commit. No migration uses
 * transactions or pragmas.
 */
export async function migrateAtomically<DB>(db: Kysely<DB>, migrations: Record<string, Migration>, label: string) {
  await sql`begin immediate`.execute(db);
  try {
    const applied = (await applyPending(db, migrations, label)) ?? (await migrateToLatest(db, migrations, label));
    await sql`commit`.execute(db);
    return applied;
  } catch (error) {
    await sql`rollback`.execute(db).catch(() => undefined);
    throw error;
  }
}

/**
 * The upgrade of a file Kysely's migrator has set up before: the pending migrations, in name order,
 * each recorded in Kysely's own bookkeeping table as its migrator records it (name, ISO time), with
 * the same refusals (an applied migration this version does not know, or a new one that sorts
 * before an applied one). The migrator itself introspects the whole schema several times per run:
 * 1.8 of 4.1 ms per file in a 1,000-file measurement, 18 s of `migrate --all` over 10,000 files.
 * Returns null when the file has no bookkeeping yet, for the migrator to set up.
 */
async function applyPending<DB>(db: Kysely<DB>, migrations: Record<string, Migration>, label: string) {
  const hasTable = await sql`select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'`.execute(db);
  if (hasTable.rows.length === 0) return null;
  const known = Object.keys(migrations).sort();
  const applied = (await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)).rows.map((r) => r.name);
  const unknown = applied.find((name) => !Object.hasOwn(migrations, name));
  if (unknown)
    throw new MigrationError(
      `${label}: the file has migration ${unknown}, which this version does not know; run the version that wrote it`,
    );
  const pending = known.filter((name) => !applied.includes(name));
  const newestApplied = applied.at(-1);
  if (newestApplied !== undefined && pending.some((name) => name < newestApplied)) {
    throw new MigrationError(
      `${label}: migration ${pending[0]} sorts before the applied ${newestApplied}; migrations must be added in order`,
    );
  }
  for (const name of pending) {
    try {
      await migrations[name]!.up(db);
    } catch (error) {
      throw new MigrationError(`${label}: migration ${name} failed: ${String((error as Error).message ?? error)}`);
    }
    await sql`insert into kysely_migration (name, timestamp) values (${name}, ${new Date().toISOString()})`.execute(db);
  }
  return pending;
}

/** Opens a file on its own handle, upgrades it all-or-nothing, and closes it (CLI, restore). */
export async function migrateFile(file: string, synchronous: Synchronous, migrations: Record<string, Migration>, label: string) {
  const db = kyselyFor(openSqlite(file, { synchronous, mustExist: true }));
  try {
    return await migrateAtomically(db, migrations, label);
  } finally {
    await db.destroy();
  }
}

/**
 * Whether a database has applied exactly the known migrations, read straight from Kysely's
 * bookkeeping table: one query, where Kysely's migrator introspects every table several times
 * (measured by `npm run bench`, tenants part: ~1.7 ms against ~0.05 ms for this on a current
 * tenant file). A database that has applied a migration this version does not know was written by
 * a newer version, and migrating it would fail anyway; that is an error, not "pending".
 */
export function migrationsAreCurrent(db: Database.Database, migrations: Record<string, Migration>) {
  const names = Object.keys(migrations).sort();
  const newest = names.at(-1) ?? "";
  const hasTable = db.prepare("select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'").get();
  if (!hasTable) return false;
  const row = db.prepare("select count(*) as n, max(name) as newest from kysely_migration").get() as { n: number; newest: string | null };
  if (row.newest !== null && row.newest > newest) {
    throw new MigrationError(`the file has migration ${row.newest}, newer than this version knows (${newest}); run the newer opslayer`);
  }
  return row.n === names.length && row.newest === newest;
}
