/**
 * `npm run bench` (second part): the cost of synchronous=FULL, the default (ADR 004), beside NORMAL,
 * for an audited write through the whole stack (clients.create: session, tenant door, BEGIN
 * IMMEDIATE, insert, audit row, commit). Prints figures and the ratio; asserts nothing.
 */
import autocannon, { type Result } from "autocannon";
import { startSeededApp } from "./seed";

const SECONDS = Number(process.env.BENCH_WRITE_SECONDS ?? 5);
// Writes to one tenant file serialise on its write lock; more connections would only queue.
const CONNECTIONS = 16;

async function measure(synchronous: "FULL" | "NORMAL"): Promise<Result> {
  process.env.SQLITE_SYNCHRONOUS = synchronous;
  const app = await startSeededApp();
  let sent = 0;
  try {
    const opts = {
      url: `${app.appUrl}/api/trpc/clients.create`,
      method: "POST" as const,
      headers: { cookie: app.cookie, "content-type": "application/json", origin: app.config.appUrl ?? app.appUrl },
      // Client names are unique per organisation: each request gets its own.
      requests: [
        {
          setupRequest: (req: { body?: string }) => ({
            ...req,
            body: JSON.stringify({ org: app.org.slug, name: `Bench client ${++sent}` }),
          }),
        },
      ],
      connections: CONNECTIONS,
      // In-process (a setupRequest function cannot cross into a worker): both settings pay the same.
    };
    await autocannon({ ...opts, duration: 1 });
    return await autocannon({ ...opts, duration: SECONDS });
  } finally {
    await app.cleanup();
  }
}

const row = (label: string, r: Result) =>
  [
    label.padEnd(18),
    r.requests.average.toFixed(0).padStart(8),
    r.latency.p50.toFixed(2).padStart(8),
    r.latency.p99.toFixed(2).padStart(8),
    String(r.non2xx).padStart(8),
  ].join(" ");

async function main() {
  console.log(`\nopslayer bench: clients.create (audited write), ${CONNECTIONS} connections, ${SECONDS} s each`);
  console.log(`${"".padEnd(18)} ${"req/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"non-2xx".padStart(8)}`);
  const full = await measure("FULL");
  console.log(row("synchronous=FULL", full));
  const normal = await measure("NORMAL");
  console.log(row("synchronous=NORMAL", normal));
  console.log(`ratio FULL/NORMAL req/s: ${(full.requests.average / normal.requests.average).toFixed(3)}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
