import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { ImportError, importOrgExport } from "../export/import-export";
import { CliError, EXIT, UsageError, type Command } from "./command";
import { parseCliArgs } from "./cli-input";
import { progressOnDemand } from "./progress";

export const importCommand: Command = {
  summary: "import an organisation export as a new organisation",
  usage: `npm run cli -- import <file.zip> --slug <new-slug> [--name <name>] [--owner <email>]

Creates a new organisation from an export (docs/export-format.md) with a new id and data key.
The whole archive is verified first (format version, every checksum, every row against its
schema, every attachment's type); an invalid archive is refused with exit 65 and nothing is
written. An archive whose attachments exceed FILE_MAX_BYTES or ORG_QUOTA_BYTES is refused with
exit 1, also before anything is written. Members whose email has an account here become members
again; --owner names an existing account that becomes an owner (needed when none of the exported
owners has an account here). Vault credentials must be entered again and webhooks are paused with
a new secret. Webhook deliveries still pending in the export are never sent from here: they are
imported as "Not sent" (the organisation they came from may have sent them).`,
  async run(ctx) {
    const { values, positionals } = parseCliArgs(
      ctx.args,
      { slug: { type: "string" }, name: { type: "string" }, owner: { type: "string" } },
      true,
    );
    if (positionals.length !== 1) throw new UsageError("import needs exactly one file");
    if (!values.slug) throw new UsageError("import needs --slug <new-slug>");
    const file = resolve(positionals[0]!);
    if (!existsSync(file)) throw new CliError(`${file} does not exist.`, EXIT.dataError);
    const services = await ctx.services();
    const bar = progressOnDemand("importing");
    let result;
    try {
      result = await importOrgExport(services, file, { slug: values.slug, name: values.name, ownerEmail: values.owner }, (done, total) =>
        bar.update(done, total),
      );
    } catch (error) {
      if (error instanceof ImportError) throw new CliError(error.message, error.kind === "archive" ? EXIT.dataError : EXIT.failure);
      throw error;
    } finally {
      bar.stop();
    }
    console.log(`Imported ${file} as ${result.slug} (${result.tenantId}), "${result.name}".`);
    console.log(`  members with access: ${result.matched.join(", ") || "none"}`);
    if (result.unmatched.length) console.log(`  members without an account here (invite them again): ${result.unmatched.join(", ")}`);
    console.log("  Vault credentials must be entered again; webhooks are paused with a new secret (rotate it, then resume).");
    if (result.deliveriesNotResent)
      console.log(
        `  ${result.deliveriesNotResent} webhook deliveries pending in the export were imported as "Not sent" and will not be sent.`,
      );
  },
};
