import { closeSync, existsSync, mkdirSync, openSync, rmSync } from "node:fs";
import type { Kysely } from "kysely";
import { migrateAtomically } from "../migrate";
import { kyselyFor, openSqlite, type Synchronous } from "../sqlite";
import { tenantMigrations } from "./migrations";
import { tenantFilePath, tenantsDir } from "./paths";
import type { TenantDB } from "./schema";

export class TenantFileExistsError extends Error {
  override name = "TenantFileExistsError";
}

function removeDatabaseFiles(file: string) {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(file + suffix, { force: true });
}

/**
 * Creates and migrates a tenant file under an exclusive lock file (O_EXCL works across processes);
 * if anything fails, the half-made file is removed so a retry starts clean.
 */
export async function provisionTenantFile(
  dataDir: string,
  tenantId: string,
  synchronous: Synchronous,
  seed: (db: Kysely<TenantDB>) => Promise<void>,
) {
  const file = tenantFilePath(dataDir, tenantId);
  mkdirSync(tenantsDir(dataDir), { recursive: true });
  const lock = openSync(`${file}.lock`, "wx");
  try {
    if (existsSync(file)) throw new TenantFileExistsError(`tenant file for ${tenantId} already exists`);
    const db = kyselyFor<TenantDB>(openSqlite(file, { synchronous }));
    try {
      // One transaction: the migrator alone commits each DDL statement, an fsync apiece at FULL.
      await migrateAtomically(db, tenantMigrations, `tenant ${tenantId}`);
      await db.transaction().execute((trx) => seed(trx));
    } catch (error) {
      await db.destroy();
      removeDatabaseFiles(file);
      throw error;
    }
    await db.destroy();
  } finally {
    closeSync(lock);
    rmSync(`${file}.lock`, { force: true });
  }
}

/** Deleting a tenant removes its WAL and shared-memory files too; the caller closes its pool handle first. */
export function deleteTenantFile(dataDir: string, tenantId: string) {
  removeDatabaseFiles(tenantFilePath(dataDir, tenantId));
}
