import { migrateAllTenants } from "../tenants/migrate-all";
import { EXIT, UsageError, type Command } from "./command";
import { parseCliArgs } from "./cli-input";
import { progressOnDemand } from "./progress";

const USAGE = `npm run cli -- migrate --all

Upgrades every organisation's file (active or closed) to this version's schema now. Files also
upgrade when they are next opened, so this is optional; it moves the work to a time you choose.
Up-to-date files are skipped after one read-only query; a failing file is reported and the others
still run. Exit 1 if any failed.`;

export const migrateCommand: Command = {
  summary: "migrate --all: upgrade every organisation file now",
  usage: USAGE,
  async run(ctx) {
    const parsed = parseCliArgs(ctx.args, { all: { type: "boolean" } }, false, USAGE);
    if (!parsed.values.all)
      throw new UsageError(`migrate needs --all (organisation files also migrate when they are next opened)\n\n${USAGE}`);
    const services = await ctx.services();
    const bar = progressOnDemand("migrating");
    const result = await migrateAllTenants(services, { onProgress: ({ done, total, slug }) => bar.update(done, total, slug) }).finally(() =>
      bar.stop(),
    );
    console.log(
      `Migrated ${result.migrated}, ${result.upToDate} already current, ${result.failed.length} failed of ${result.total} organisations.`,
    );
    if (!result.failed.length) return EXIT.ok;
    console.error(result.failed.map((f) => `  ${f.slug} (${f.tenantId}): ${f.error}`).join("\n"));
    return EXIT.failure;
  },
};
