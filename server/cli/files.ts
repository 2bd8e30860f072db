import { sweepTenantFiles, type FileSweep } from "../files/sweep";
import { slugSchema } from "../trpc/tenant-context";
import { checked, parseCliArgs } from "./cli-input";
import { CliError, EXIT, group, type Command } from "./command";

const usage = `npm run cli -- files sweep [--org <slug>] [--dry-run] [--json]

Finds attachment rows whose task, project or invoice is gone or whose stored file is missing, and
stored files (and unfinished uploads' temporary files) older than an hour that no row refers to,
in one organisation or all of them. Removes them, which also corrects each organisation's storage
quota, and prints what was removed per organisation (--dry-run: what would be, changing nothing).
The daily retention job runs the same sweep.`;

const sweepCommand: Command = {
  summary: "remove orphan attachment rows and stored files, correcting the quota",
  usage,
  async run(ctx) {
    const { values } = parseCliArgs(
      ctx.args,
      { org: { type: "string" }, "dry-run": { type: "boolean" }, json: { type: "boolean" } },
      false,
      usage,
    );
    const services = await ctx.services();
    let query = services.control.selectFrom("tenants").select(["id", "slug"]).where("status", "in", ["active", "closed"]).orderBy("slug");
    if (values.org !== undefined) query = query.where("slug", "=", checked(slugSchema, values.org, "--org"));
    const tenants = await query.execute();
    if (values.org !== undefined && tenants.length === 0) throw new CliError(`No organisation "${values.org}".`);
    const dryRun = values["dry-run"] ?? false;
    const results: (FileSweep & { org: string })[] = [];
    for (const t of tenants) results.push({ org: t.slug, ...(await sweepTenantFiles(services, t.id, { dryRun })) });
    if (values.json) {
      console.log(JSON.stringify({ dryRun, organisations: results }, null, 2));
      return EXIT.ok;
    }
    const found = results.filter((r) => r.rows || r.blobs);
    const verb = dryRun ? "would remove" : "removed";
    for (const r of found)
      console.log(
        `${r.org}: ${verb} ${r.rows} row(s) (${r.rowBytes} bytes of quota) and ${r.blobs} stored file(s) (${r.blobBytes} bytes on disk)`,
      );
    const sum = (k: keyof FileSweep) => results.reduce((n, r) => n + r[k], 0);
    console.log(
      `${results.length} organisation(s) swept${dryRun ? " (dry run, nothing changed)" : ""}: ${verb} ${sum("rows")} row(s), ${sum("rowBytes")} bytes of quota, ${sum("blobs")} stored file(s), ${sum("blobBytes")} bytes on disk.`,
    );
    return EXIT.ok;
  },
};

export const filesCommand = group("files", "attachments: sweep", { sweep: sweepCommand });
