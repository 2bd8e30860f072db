import { runRetention } from "../jobs/retention";
import { runJob } from "../jobs/run-job";
import { EXIT, type Command } from "./command";
import { parseCliArgs } from "./cli-input";

/**
 * `purge`: the retention job, now, recorded in job_runs like a scheduled run (so the two are told
 * apart only by time). Exit 1 when it failed; the counts or the error are printed either way.
 */
export const purgeCommand: Command = {
  summary: "run retention now: old logs, expired sessions/tokens/links",
  usage: `npm run cli -- purge [--json]

Runs the retention job once, as the server does daily:
  - platform security log and job records older than SECURITY_LOG_RETENTION_DAYS (default 90)
  - each organisation's audit log older than its own setting (default 365 days)
  - expired sessions and emailed tokens
  - invitations, API tokens and support grants dead for longer than SECURITY_LOG_RETENTION_DAYS
  - each organisation's orphan attachment rows and stored files (what "files sweep" does)
Prints what was deleted (--json: as JSON).`,
  async run(ctx) {
    const { values } = parseCliArgs(ctx.args, { json: { type: "boolean" } });
    const services = await ctx.services();
    const result = await runJob({ ...services, log: () => {} }, "retention", () => runRetention(services));
    if (values.json) {
      console.log(JSON.stringify(result, null, 2));
    } else if (result.ok) {
      const rows = Object.entries(result.detail).map(([what, n]) => `  ${what.padEnd(22)} ${String(n)}`);
      console.log(`Retention done:\n${rows.join("\n")}`);
    } else {
      console.error(`Retention failed: ${result.error}`);
    }
    return result.ok ? EXIT.ok : EXIT.failure;
  },
};
