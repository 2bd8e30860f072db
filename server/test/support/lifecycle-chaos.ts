import Database from "better-sqlite3";
import { tenantFilePath } from "../../../db/tenant/paths";
import { userWithOrg } from "./accounts";
import type { Client } from "./client";
import { startInstance } from "./instance";
import { runAsServer } from "./running-server";
import { runTsx, type ScriptRun } from "./run-tsx";

/**
 * Issue 29's lifecycle chaos: HTTP writers keep creating clients in one organisation while the
 * operator's commands run against the live server, as separate processes, one after another in a
 * random order: backup, restore --org --force, tenant close + tenant restore. Afterwards:
 *
 * - every acknowledged write is present, unless a restore that succeeded reported a restore point
 *   before it was acknowledged and finished after (the restore legitimately took it away);
 * - writes acknowledged after a backup finished and before the restore of that backup started are
 *   absent: the restore did happen (the bug was a restore that reported success and changed nothing);
 * - every command exited 0 with its effect stated (restore: "Verified: …"), or non-zero with a
 *   sentence on stderr and no stack trace.
 *
 * Used by server/test/lifecycle-chaos.test.ts (short) and `npm run chaos:lifecycle` (long).
 */
export interface ChaosOptions {
  rounds: number;
  writers: number;
  /** Each round's steps are drawn from this seed, so a failing run can be repeated. */
  seed: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  commands: { args: string[]; status: number | null; ms: number }[];
  acknowledged: number;
  refused: Record<string, number>;
  restores: number;
  removedByRestores: number;
  violations: string[];
  integrity: string;
}

interface Ack {
  name: string;
  at: number;
}

type Step = "backup+restore" | "close+reopen" | "backup";

function random(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32: enough to vary the order, and repeatable from the seed.
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** `count` writers creating clients over HTTP until stopped: what was acknowledged, and refusals by status (and Retry-After). */
export function startWriters(client: Client, slug: string, count: number) {
  const acked: Ack[] = [];
  const refused: Record<string, number> = {};
  let stop = false;
  let seq = 0;
  const loops = Array.from({ length: count }, async (_, w) => {
    while (!stop) {
      const name = `w${w}-${++seq}`;
      const res = await client.raw("POST", "/api/trpc/clients.create", JSON.stringify({ org: slug, name }), {
        "content-type": "application/json",
        origin: client.baseUrl,
      });
      await res.body?.cancel();
      if (res.status === 200) acked.push({ name, at: Date.now() });
      else {
        const key = `${res.status}${res.status === 503 ? ` retry-after=${res.headers.get("retry-after")}` : ""}`;
        refused[key] = (refused[key] ?? 0) + 1;
        // A closed organisation answers at once; do not spin on it.
        if (res.status !== 200) await new Promise((r) => setTimeout(r, 20));
      }
    }
  });
  return {
    acked,
    refused,
    async stop() {
      stop = true;
      await Promise.all(loops);
    },
  };
}

export async function runLifecycleChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const next = random(options.seed);
  const instance = await startInstance();
  const server = await runAsServer(instance);
  const report: ChaosReport = {
    commands: [],
    acknowledged: 0,
    refused: {},
    restores: 0,
    removedByRestores: 0,
    violations: [],
    integrity: "",
  };
  try {
    const owner = await userWithOrg(instance, "chaos");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: "test",
      DATA_DIR: instance.dataDir,
      MASTER_KEY_FILE: instance.services.config.masterKeyFile!,
    };
    const cli = async (args: string[]) => {
      const started = performance.now();
      const run = await runTsx("server/cli/main.ts", args, { env, timeoutMs: 180_000 });
      report.commands.push({ args, status: run.status, ms: Math.round(performance.now() - started) });
      log(`${args.join(" ")} → ${run.status} (${Math.round(performance.now() - started)} ms)`);
      judge(args, run);
      return run;
    };
    const judge = (args: string[], run: ScriptRun) => {
      const what = args.join(" ");
      if (run.status === 0) {
        if (args[0] === "restore" && !/^Verified: /m.test(run.stdout))
          report.violations.push(`${what} exited 0 without stating what it verified`);
        return;
      }
      const said = run.stderr.trim();
      if (!said) report.violations.push(`${what} exited ${run.status} without a sentence`);
      if (/^\s+at /m.test(said)) report.violations.push(`${what} exited ${run.status} with a stack trace: ${said.slice(0, 300)}`);
    };

    const writers = startWriters(owner.client, owner.slug, options.writers);
    const waitForAcks = async (n: number) => {
      const target = writers.acked.length + n;
      while (writers.acked.length < target) await new Promise((r) => setTimeout(r, 20));
    };
    /** [restore point, acknowledged until] windows in which a write may be legitimately gone. */
    const excused: { point: number; until: number }[] = [];
    /** Writes that must be gone: acknowledged after a backup and before the restore of that backup began. */
    const mustBeGone: Ack[] = [];
    let lastBackup: { endedAt: number; ackedAtEnd: number } | null = null;

    for (let round = 0; round < options.rounds; round++) {
      const r = next();
      const step: Step = round === 0 || r < 0.5 ? "backup+restore" : r < 0.8 ? "close+reopen" : "backup";
      await waitForAcks(40);
      if (step === "backup" || step === "backup+restore") {
        const backup = await cli(["backup", "--org", owner.slug]);
        if (backup.status === 0) lastBackup = { endedAt: Date.now(), ackedAtEnd: writers.acked.length };
      }
      if (step === "backup+restore" && lastBackup) {
        await waitForAcks(40);
        const ackedBefore = writers.acked.length;
        const restore = await cli(["restore", "--org", owner.slug, "--force"]);
        if (restore.status === 0) {
          report.restores++;
          const point = /Restore point: (\S+?);/.exec(restore.stdout)?.[1];
          const pointAt = point ? Date.parse(point) : NaN;
          if (Number.isNaN(pointAt)) report.violations.push(`restore exited 0 without a restore point: ${restore.stdout}`);
          else excused.push({ point: pointAt, until: Date.now() });
          mustBeGone.push(...writers.acked.slice(lastBackup.ackedAtEnd, ackedBefore));
        }
      }
      if (step === "close+reopen") {
        const close = await cli(["tenant", "close", owner.slug, "--yes"]);
        await new Promise((r) => setTimeout(r, 200)); // writers meet a closed organisation
        if (close.status === 0) await cli(["tenant", "restore", owner.slug]);
      }
    }
    await waitForAcks(40);
    await writers.stop();
    report.acknowledged = writers.acked.length;
    report.refused = writers.refused;

    const listed = await owner.client.query("clients.list", { org: owner.slug });
    if (listed.status !== 200) throw new Error(`clients.list after the chaos answered ${listed.status}`);
    const present = new Set((listed.data as { name: string }[]).map((c) => c.name));
    const gone = new Set(mustBeGone.map((a) => a.name));
    for (const ack of writers.acked) {
      if (present.has(ack.name)) {
        if (gone.has(ack.name))
          report.violations.push(`${ack.name} was acknowledged between a backup and its restore, yet survived the restore`);
        continue;
      }
      if (excused.some((e) => ack.at > e.point && ack.at <= e.until)) {
        report.removedByRestores++;
        continue;
      }
      report.violations.push(`${ack.name}, acknowledged at ${new Date(ack.at).toISOString()}, is missing and no restore explains it`);
    }
    const db = new Database(tenantFilePath(instance.dataDir, owner.tenantId), { readonly: true, fileMustExist: true });
    try {
      report.integrity = (db.pragma("integrity_check") as { integrity_check: string }[]).map((r) => r.integrity_check).join("; ");
    } finally {
      db.close();
    }
    return report;
  } finally {
    await server.release();
    await instance.stop();
  }
}
