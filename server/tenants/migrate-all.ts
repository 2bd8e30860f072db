import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import type { Migration } from "kysely";
import { openControlDb, type ControlDb } from "../../db/control/open";
import { migrateFile, migrationsAreCurrent } from "../../db/migrate";
import { tenantMigrations } from "../../db/tenant/migrations";
import { tenantFilePath } from "../../db/tenant/paths";
import type { Config } from "../config";

export interface MigrateAllProgress {
  done: number;
  total: number;
  slug: string;
}

export interface MigrateAllOptions {
  /** Default: the tenant migrations of this version. The benchmark adds one to time a real upgrade. */
  migrations?: Record<string, Migration>;
  onProgress?: (p: MigrateAllProgress) => void;
}

export interface MigrateAllResult {
  total: number;
  upToDate: number;
  migrated: number;
  failed: { slug: string; tenantId: string; error: string }[];
  ms: number;
}

/** Opens the file read-only for the check: no WAL switch, no write, one file descriptor for a moment. */
function fileIsCurrent(file: string, migrations: Record<string, Migration>) {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return migrationsAreCurrent(db, migrations);
  } finally {
    db.close();
  }
}

/**
 * Upgrades every organisation file (active or closed) now, rather than on its next open by the pool.
 * Up-to-date files are recognised with one read-only query and skipped; only pending ones go through
 * the Kysely migrator. One file is open at a time, so ten thousand organisations need a handful of
 * file descriptors. A failure is recorded and the run goes on.
 */
export async function migrateAllTenants(
  deps: { config: Config; control: ControlDb } | Config,
  options: MigrateAllOptions = {},
): Promise<MigrateAllResult> {
  const started = performance.now();
  const ownControl = "dataDir" in deps;
  const config = ownControl ? deps : deps.config;
  const control = ownControl ? await openControlDb(config.dataDir, config.synchronous) : deps.control;
  try {
    const migrations = options.migrations ?? tenantMigrations;
    const tenants = await control
      .selectFrom("tenants")
      .select(["id", "slug"])
      .where("status", "in", ["active", "closed"])
      .orderBy("slug")
      .execute();
    const result: MigrateAllResult = { total: tenants.length, upToDate: 0, migrated: 0, failed: [], ms: 0 };
    for (const [i, t] of tenants.entries()) {
      options.onProgress?.({ done: i, total: tenants.length, slug: t.slug });
      try {
        const file = tenantFilePath(config.dataDir, t.id);
        if (!existsSync(file)) throw new Error(`file ${file} is missing`);
        if (fileIsCurrent(file, migrations)) {
          result.upToDate++;
          continue;
        }
        await migrateFile(file, config.synchronous, migrations, `tenant ${t.id}`);
        result.migrated++;
      } catch (error) {
        result.failed.push({ slug: t.slug, tenantId: t.id, error: error instanceof Error ? error.message : String(error) });
      }
    }
    options.onProgress?.({ done: tenants.length, total: tenants.length, slug: "" });
    result.ms = performance.now() - started;
    return result;
  } finally {
    if (ownControl) await control.destroy();
  }
}
