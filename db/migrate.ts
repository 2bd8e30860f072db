import { Migrator, type Kysely, type Migration } from "kysely";

export class MigrationError extends Error {
  override name = "MigrationError";
}

/** Applies pending migrations; the migration list is code, so the bundle never reads a folder at run time. */
export async function migrateToLatest(db: Kysely<any>, migrations: Record<string, Migration>, label: string) {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new MigrationError(`${label}: migration ${failed} failed: ${String((error as Error).message ?? error)}`);
  }
  return results?.filter((r) => r.status === "Success").map((r) => r.migrationName) ?? [];
}
