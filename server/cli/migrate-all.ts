import { SingleBar, Presets } from "cli-progress";
import { parseArgs } from "node:util";
import type { Services } from "../services";

/**
 * Upgrades every tenant file now rather than on its next request: opening a file through the pool
 * runs its pending migrations. One at a time, closing each, so a thousand tenants need no more
 * than a handful of file descriptors.
 */
export async function migrateAll(services: Services, args: string[]) {
  const { values } = parseArgs({ args, options: { all: { type: "boolean" } } });
  if (!values.all) throw new Error("migrate needs --all (per-tenant files also migrate when they are next opened)");
  const tenants = await services.control.selectFrom("tenants").select(["id", "slug"]).where("status", "=", "active").orderBy("slug").execute();
  const bar = new SingleBar({ format: "migrating [{bar}] {value}/{total} {slug}", hideCursor: true, noTTYOutput: true, notTTYSchedule: 2000 }, Presets.shades_classic);
  bar.start(tenants.length, 0, { slug: "" });
  const failed: string[] = [];
  for (const t of tenants) {
    bar.increment(0, { slug: t.slug });
    try {
      (await services.pool.acquire(t.id)).release();
      await services.pool.close(t.id);
    } catch (error) {
      failed.push(`${t.slug}: ${error instanceof Error ? error.message : String(error)}`);
    }
    bar.increment(1);
  }
  bar.stop();
  console.log(`Migrated ${tenants.length - failed.length} of ${tenants.length} organisations.`);
  if (failed.length) {
    console.error(failed.join("\n"));
    process.exitCode = 1;
  }
}
