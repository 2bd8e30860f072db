/**
 * `npm run bench`: projects.list through the real stack (session, membership, tenant pool, tRPC)
 * against the floor a bare node:http + better-sqlite3 server gives for the same query on the same
 * file. Reports the ratio; being below target is information, not a failure, so it always exits 0.
 */
import { createServer, type Server } from "node:http";
import autocannon, { type Result } from "autocannon";
import { openSqlite } from "../../db/sqlite";
import { tenantFilePath } from "../../db/tenant/paths";
import { CLIENTS, close, listen, startSeededApp } from "./seed";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 2;
const CONNECTIONS = 64;
// Alternating baseline/ours and keeping the best of each, so drift (GC, page cache, a noisy
// neighbour) does not land on only one side.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const LIMIT = 50;
const TARGET_RATIO = 0.6;

// The statement Kysely compiles listProjects({ includeArchived: false, limit, offset }) to; the
// pre-flight check below compares both answers row for row, so a drift here cannot go unnoticed.
const LIST_SQL =
  'select "projects".*, "clients"."name" as "client_name" from "projects" ' +
  'inner join "clients" on "clients"."id" = "projects"."client_id" ' +
  'where "projects"."archived_at" is null order by "projects"."name", "projects"."id" limit ? offset ?';

async function load(url: string, headers: Record<string, string>): Promise<Result> {
  // One worker thread: the load generator must not share the event loop of the servers it measures.
  const opts = { url, headers, connections: CONNECTIONS, workers: 1 };
  await autocannon({ ...opts, duration: WARMUP_SECONDS });
  return autocannon({ ...opts, duration: SECONDS });
}

const best = (runs: Result[]) => runs.reduce((a, b) => (b.requests.average > a.requests.average ? b : a));
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

function row(label: string, r: Result) {
  return [
    label.padEnd(16),
    r.requests.average.toFixed(0).padStart(8),
    r.latency.p50.toFixed(2).padStart(8),
    r.latency.p99.toFixed(2).padStart(8),
    String(r.non2xx).padStart(8),
    String(r.errors).padStart(7),
  ].join(" ");
}

async function main() {
  const { dataDir, config, org, appUrl, cookie, cleanup } = await startSeededApp();
  let baseline: Server | undefined;
  const baselineDb = openSqlite(tenantFilePath(dataDir, org.id), { synchronous: config.synchronous, mustExist: true });
  try {
    const list = baselineDb.prepare(LIST_SQL);
    baseline = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      // Same envelope as tRPC, so both sides send the same payload bytes.
      res.end(JSON.stringify({ result: { data: list.all(LIMIT, 0) } }));
    });
    const baseUrl = `http://127.0.0.1:${await listen(baseline)}/`;

    const oursUrl = `${appUrl}/api/trpc/projects.list?input=${encodeURIComponent(JSON.stringify({ org: org.slug, limit: LIMIT }))}`;
    const headers = { cookie };
    const ours = await fetch(oursUrl, { headers });
    const oursBody = (await ours.json()) as { result?: { data?: unknown[] } };
    const baseBody = (await (await fetch(baseUrl)).json()) as { result: { data: unknown[] } };
    if (ours.status !== 200 || oursBody.result?.data?.length !== LIMIT) {
      throw new Error(`projects.list pre-flight failed: ${ours.status} ${JSON.stringify(oursBody).slice(0, 300)}`);
    }
    if (JSON.stringify(oursBody.result.data) !== JSON.stringify(baseBody.result.data)) {
      throw new Error("baseline and projects.list disagree: the baseline is not running the same query");
    }

    console.log(`opslayer bench: projects.list (limit ${LIMIT}, ${CLIENTS} clients, ${CLIENTS * 2} projects)`);
    console.log(
      `node ${process.version}, SQLite synchronous=${baselineDb.pragma("synchronous", { simple: true }) === 2 ? "FULL" : "NORMAL"}, ` +
        `${CONNECTIONS} connections, ${SECONDS} s per run after ${WARMUP_SECONDS} s warm-up, ${ROUNDS} rounds, best of each`,
    );
    console.log(
      `${"".padEnd(16)} ${"req/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"non-2xx".padStart(8)} ${"errors".padStart(7)}`,
    );
    const baseRuns: Result[] = [];
    const oursRuns: Result[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      baseRuns.push(await load(baseUrl, {}));
      console.log(row(`baseline #${round}`, baseRuns.at(-1)!));
      oursRuns.push(await load(oursUrl, headers));
      console.log(row(`ours #${round}`, oursRuns.at(-1)!));
    }
    const b = best(baseRuns);
    const o = best(oursRuns);
    console.log(row("baseline (best)", b));
    console.log(row("ours (best)", o));
    const ratio = o.requests.average / b.requests.average;
    console.log(
      `ratio ours/baseline req/s: ${ratio.toFixed(3)} (target >= ${TARGET_RATIO}) ${ratio >= TARGET_RATIO ? "PASS" : "BELOW TARGET"}`,
    );
    const mem = process.memoryUsage();
    console.log(`process RSS ${mb(mem.rss)} MB, heap used ${mb(mem.heapUsed)} MB`);
  } finally {
    if (baseline) await close(baseline);
    baselineDb.close();
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
