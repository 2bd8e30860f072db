import { runRetention } from "../jobs/retention";
import { runJob, type JobResult } from "../jobs/run-job";
import { organisationsDueForPurge, purgeClosedOrganisations } from "../tenants/terminate";
import { outOfServiceInRunningServer } from "./running-server";
import { EXIT, type Command } from "./command";
import { parseCliArgs } from "./cli-input";

const USAGE = `npm run cli -- purge [--dry-run] [--json]

Runs now, once each, the two jobs the server runs on its schedule, recorded in job_runs as
scheduled runs are ("terminated-orgs", then "retention"):
  1. terminated organisations (hourly in the server): every organisation closed more than
     ORG_GRACE_DAYS ago (default 30) is destroyed: its file, attachment blobs, export archives and
     data key, and its backups and backed-up blobs in BACKUP_DIR; only a tombstone (its slug, status
     "purged") stays. An organisation a running backup holds up is finished by the next run.
  2. retention (daily in the server):
     - platform security log and job records older than SECURITY_LOG_RETENTION_DAYS (default 90)
     - each organisation's audit log older than its own setting (default 365 days)
     - expired sessions and emailed tokens
     - invitations, API tokens and support grants dead for longer than SECURITY_LOG_RETENTION_DAYS
     - each organisation's orphan attachment rows and stored files (what "files sweep" does)
--dry-run  lists the organisations step 1 would destroy and changes nothing (retention is not run).
Prints what was destroyed and deleted (--json: as JSON). Exit 1 when either job failed; the other
still runs.`;

const day = (ms: number | null) => (ms === null ? "" : new Date(ms).toISOString().slice(0, 10));

/** `purge`: the jobs that destroy what has outlived its time, now instead of at their next tick. */
export const purgeCommand: Command = {
  summary: "destroy organisations past their grace period and run retention now",
  usage: USAGE,
  async run(ctx) {
    const { values } = parseCliArgs(ctx.args, { json: { type: "boolean" }, "dry-run": { type: "boolean" } }, false, USAGE);
    const services = await ctx.services();
    if (values["dry-run"]) {
      const due = await organisationsDueForPurge(services);
      if (values.json) {
        console.log(JSON.stringify({ dryRun: true, organisations: due }, null, 2));
      } else if (!due.length) {
        console.log("No organisation is due to be destroyed (dry run, nothing changed).");
      } else {
        for (const t of due)
          console.log(
            `  ${t.slug.padEnd(24)} ${t.status === "purging" ? "purge unfinished" : `closed ${day(t.closed_at)}, grace ended ${day(t.purge_after)}`}  ${t.id}`,
          );
        console.log(`${due.length} organisation(s) would be destroyed (dry run, nothing changed).`);
      }
      return EXIT.ok;
    }
    const quiet = { ...services, log: () => {} };
    const terminatedOrgs = await runJob(quiet, "terminated-orgs", async () => {
      const result = await purgeClosedOrganisations(services, outOfServiceInRunningServer(ctx.config, "being deleted"));
      // Recorded as failed (and exit 1) when an organisation or the WAL truncation did not finish.
      if (result.failed.length || !result.walShredded) throw new Error(describePurgeFailure(result));
      return result;
    });
    const retention = await runJob(quiet, "retention", () => runRetention(services));
    if (values.json) {
      console.log(JSON.stringify({ terminatedOrgs, retention }, null, 2));
    } else {
      report("Terminated organisations", terminatedOrgs, (d) => {
        const purged = d.purged as string[];
        return purged.length ? `  destroyed ${purged.length}: ${purged.join(", ")}` : "  none past their grace period";
      });
      report("Retention", retention, (d) =>
        Object.entries(d)
          .map(([what, n]) => `  ${what.padEnd(22)} ${String(n)}`)
          .join("\n"),
      );
    }
    return terminatedOrgs.ok && retention.ok ? EXIT.ok : EXIT.failure;
  },
};

function describePurgeFailure(result: Awaited<ReturnType<typeof purgeClosedOrganisations>>) {
  const parts = result.failed.map((f) => `${f.tenantId}: ${f.error}`);
  if (!result.walShredded) parts.push("the control DB's WAL could not be truncated (a reader held it); run purge again");
  const done = result.purged.length ? `; destroyed ${result.purged.join(", ")}` : "";
  return `${parts.join("; ")}${done}`;
}

function report(what: string, result: JobResult, lines: (detail: Record<string, unknown>) => string) {
  if (result.ok) console.log(`${what} done:\n${lines(result.detail)}`);
  else console.error(`${what} failed: ${result.error}`);
}
