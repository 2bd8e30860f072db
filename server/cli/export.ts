import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { ExportError, ExportExistsError, writeOrgExport } from "../export/write-export";
import { slugSchema } from "../trpc/tenant-context";
import { CliError, EXIT, UsageError, type Command } from "./command";
import { checked, cliInfo, parseCliArgs } from "./cli-input";
import { progressOnDemand } from "./progress";

export const exportCommand: Command = {
  summary: "export an organisation to a ZIP of JSON tables and files",
  usage: `npm run cli -- export --org <slug> [--out <file.zip>]

Writes the organisation's export (docs/export-format.md): one JSON file per table, every attachment
decrypted, and a manifest with counts and SHA-256 checksums. Read from one consistent snapshot while
the server keeps running. Vault credentials and webhook secrets are not exported. The default file
is ./<slug>-export-<date>.zip; an existing file is never overwritten (exit 73). The export is
recorded in the organisation's audit log.`,
  async run(ctx) {
    const { values } = parseCliArgs(ctx.args, { org: { type: "string" }, out: { type: "string" } });
    if (!values.org) throw new UsageError("export needs --org <slug>");
    const slug = checked(slugSchema, values.org, "--org");
    const services = await ctx.services();
    const tenant = await services.control
      .selectFrom("tenants")
      .select(["id", "slug", "status"])
      .where("slug", "=", slug)
      .executeTakeFirst();
    if (!tenant || tenant.status !== "active") throw new CliError(`No active organisation "${slug}".`);
    const stamp = new Date(services.clock.now()).toISOString().replace(/[:]/g, "").replace(/\..*$/, "");
    const out = resolve(values.out ?? `${slug}-export-${stamp}.zip`);
    // Only to fail before the work: writeOrgExport links the finished file into place, which never
    // replaces a file created there meanwhile.
    if (existsSync(out)) throw new CliError(`${out} exists; choose another --out.`, EXIT.cantCreate);

    const bar = progressOnDemand("exporting");
    let result;
    try {
      result = await writeOrgExport(services, tenant.id, out, (done, total) => bar.update(done, total));
    } catch (error) {
      if (error instanceof ExportExistsError)
        throw new CliError(`${out} appeared while the export ran and was left as it is; choose another --out.`, EXIT.cantCreate);
      throw error instanceof ExportError ? new CliError(error.message) : error;
    } finally {
      bar.stop();
    }
    const lease = await services.pool.acquire(tenant.id);
    try {
      const info = cliInfo();
      await lease.db
        .insertInto("audit_log")
        .values({
          at: services.clock.now(),
          actor_kind: "system",
          actor_id: null,
          ip: info.ip,
          user_agent: info.userAgent,
          action: "org.export_cli",
          target_type: "org",
          target_id: tenant.id,
          detail: JSON.stringify({ bytes: result.bytes, sha256: result.sha256 }),
        })
        .execute();
    } finally {
      lease.release();
    }
    console.log(`Exported ${tenant.slug} to ${out}`);
    console.log(`  size    ${statSync(out).size} bytes`);
    console.log(`  sha256  ${result.sha256}`);
    console.log(
      `  rows    ${Object.entries(result.counts)
        .filter(([k]) => k !== "attachment_files")
        .reduce((n, [, v]) => n + v, 0)}, files ${result.counts.attachment_files ?? 0}`,
    );
  },
};
