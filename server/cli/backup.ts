import { BackupTargetError, backupAll, describeBackup } from "../backup/backup";
import { InvalidStampError, stampTime } from "../backup/layout";
import { BackupLockedError } from "../backup/lock";
import { listBackups, restoreAll, restoreTenant, RestoreError } from "../backup/restore";
import { CliError, EXIT, UsageError, type CliContext, type Command } from "./command";
import { parseCliArgs } from "./cli-input";
import { progressOnDemand } from "./progress";
import { outOfServiceInRunningServer, refuseWhileServerRuns } from "./running-server";

const BACKUP_USAGE = `npm run cli -- backup [--org <slug>]

Online backup while the server runs: the control DB and every active or closed organisation (or
only --org), each copied with SQLite's backup API, plus their attachment blobs, into BACKUP_DIR
(default DATA_DIR/backups) under one UTC stamp. Then only the newest BACKUP_KEEP backups of each
are kept, plus each organisation's file of every kept full backup. Exit 1 if any organisation
failed (the others are still backed up). One backup runs at a time per BACKUP_DIR (BACKUP_CRON in
the server included): a second one exits 1 naming the lock file BACKUP_DIR/backup.lock.

The master key is not in the backup: back up MASTER_KEY / MASTER_KEY_FILE separately, and keep an
old master key as long as backups taken under it are kept.`;

const RESTORE_USAGE = `npm run cli -- restore --org <slug> [--from <stamp>] [--force]
npm run cli -- restore --all [--from <stamp>] [--force]
npm run cli -- restore --list [--org <slug>]

--org     restores one organisation's file (default: its newest backup). The server may keep
          running: the backup is migrated and checked in a private copy first; then the running
          server takes the organisation out of service (its requests answer 503 "being restored"
          with Retry-After, for the seconds of the copy), the copy is written into the live
          database through SQLite, and success is printed only once the live file holds every
          page, row count and table checksum of the backup; otherwise it exits 1 with the reason
          and the organisation is back in service. Accounts, memberships and the organisation's
          key (control DB) are not touched. Members who deleted their account after the backup
          are erased from the restored file again. Writes made after the backup's stamp (the
          restore point it prints) are not in the restored data.
--all     disaster recovery, with the server STOPPED (refused, exit 73, while a server runs on
          DATA_DIR, naming its pid and port): replaces the control DB and every
          organisation file of one backup (default: the newest full one). Needs the master key
          that was in use when that backup was taken. Accounts deleted after that backup come
          back with it: delete them again with \`user delete\`.
--force   overwrite live files; without it a restore that would overwrite one exits 73 and
          changes nothing. A backup without a manifest entry (sha256) is refused.
--list    shows the available backups (of the control DB, or of one organisation).`;

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export const backupCommand: Command = {
  summary: "online backup of the control DB and every organisation",
  usage: BACKUP_USAGE,
  async run(ctx) {
    const { values } = parseCliArgs(ctx.args, { org: { type: "string" } }, false, BACKUP_USAGE);
    const services = await ctx.services();
    const bar = progressOnDemand("backing up");
    try {
      const summary = await backupAll(services, {
        org: values.org,
        onProgress: ({ done, total, item }) => bar.update(done, total, item),
      }).finally(() => bar.stop());
      console.log(describeBackup(summary));
      console.log(`Written to ${summary.dir}. The master key is not in it: back it up separately.`);
      if (!summary.failures.length) return EXIT.ok;
      console.error(summary.failures.map((f) => `  ${f.target}: ${f.error}`).join("\n"));
      return EXIT.failure;
    } catch (error) {
      if (error instanceof BackupTargetError || error instanceof BackupLockedError) throw new CliError(error.message);
      throw error;
    }
  },
};

async function slugToId(ctx: CliContext, slug: string) {
  const services = await ctx.services();
  const row = await services.control
    .selectFrom("tenants")
    .select("id")
    .where((eb) => eb.or([eb("slug", "=", slug), eb("id", "=", slug)]))
    .executeTakeFirst();
  if (!row) throw new CliError(`no organisation "${slug}"`);
  return row.id;
}

export const restoreCommand: Command = {
  summary: "restore one organisation or everything from a backup",
  usage: RESTORE_USAGE,
  async run(ctx) {
    const { values } = parseCliArgs(
      ctx.args,
      {
        org: { type: "string" },
        all: { type: "boolean" },
        from: { type: "string" },
        force: { type: "boolean" },
        list: { type: "boolean" },
      },
      false,
      RESTORE_USAGE,
    );
    const modes = [values.all, values.list, values.org !== undefined && !values.list].filter(Boolean).length;
    if (modes !== 1) throw new UsageError(`give exactly one of --org <slug>, --all or --list\n\n${RESTORE_USAGE}`);
    try {
      if (values.list) {
        if (values.from || values.force) throw new UsageError(`--list takes only --org\n\n${RESTORE_USAGE}`);
        const tenantId = values.org === undefined ? undefined : await slugToId(ctx, values.org);
        const rows = listBackups(ctx.config, tenantId);
        if (!rows.length) console.log(`No backups of ${values.org ?? "the control DB"} in ${ctx.config.backupDir}.`);
        for (const r of rows) {
          console.log(
            `${r.stamp}  ${r.at.toISOString()}  ${mb(r.bytes).padStart(9)}${r.tenants === null ? "" : `  ${r.tenants} organisations`}`,
          );
        }
        return EXIT.ok;
      }
      if (values.all) {
        // No ctx.services(): the control DB is about to be replaced, and nothing may hold it open.
        refuseWhileServerRuns(ctx.config, "restore --all");
        const r = await restoreAll(ctx.config, { stamp: values.from, force: values.force });
        console.log(
          `Restored the control DB and ${r.tenants.length} organisations from ${r.stamp} (${mb(r.bytes)}; ${r.replaced} live files replaced, ${r.blobsRestored} attachment blobs restored).`,
        );
        if (r.missing.length)
          console.error(`Not in that backup (their backup failed at the time): ${r.missing.map((t) => t.slug).join(", ")}`);
        if (r.blobsMissing) console.error(`${r.blobsMissing} attachment blobs were not in the backup.`);
        console.log("Start the server with the master key that was in use when this backup was taken.");
        return r.missing.length ? EXIT.failure : EXIT.ok;
      }
      const services = await ctx.services();
      const r = await restoreTenant({ ...services, outOfService: outOfServiceInRunningServer(ctx.config) }, values.org!, {
        stamp: values.from,
        force: values.force,
      });
      console.log(
        `Restored ${r.slug} from ${r.stamp} (${mb(r.bytes)}, ${r.replaced ? "replaced the live database" : "the file was missing"}; ${r.blobsRestored} attachment blobs restored).`,
      );
      console.log(
        `Verified: the live file holds all ${r.verified.pages} pages of the backup, and ${r.verified.tables} tables (${r.verified.rows} rows) with the same counts and checksums. Restore point: ${new Date(stampTime(r.stamp)).toISOString()}; writes made after it are not in the restored data.`,
      );
      if (r.blobsMissing) console.error(`${r.blobsMissing} attachment blobs were not in the backup.`);
      if (r.deletionsReapplied.length)
        console.log(
          `Erased again ${r.deletionsReapplied.length} member(s) who deleted their account after the backup: ${r.deletionsReapplied.join(", ")}.`,
        );
      if (r.ownerless) console.error(`${r.slug} has no owner left: an account that owned it in the backup has been deleted since.`);
      return EXIT.ok;
    } catch (error) {
      if (error instanceof RestoreError)
        throw new CliError(error.message, ["live", "server-running"].includes(error.reason) ? EXIT.cantCreate : EXIT.failure);
      if (error instanceof InvalidStampError) throw new UsageError(error.message);
      throw error;
    }
  },
};
