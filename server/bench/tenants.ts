/**
 * `npm run bench` (fourth part): many organisations. Makes BENCH_TENANTS (default 10,000)
 * organisations, all owned by one user, each a real file, migrated, with the default seed (its
 * owner and the first audit row), at the production default SQLITE_SYNCHRONOUS=FULL (override with
 * the variable), all through the real createTenant path unless BENCH_REAL_TENANTS is smaller (the
 * rest then come from a template, see REAL below). Then prints:
 *
 *   - provisioning time and organisations/s of the real path, and what N would take at that rate;
 *   - `migrate --all` (migrateAllTenants) when every file is current;
 *   - p50/p99 of an authenticated tRPC request (members.me over real HTTP with a session cookie)
 *     to a random organisation whose handle is NOT in the pool (checked before each request),
 *     against the same request to one that is (the baseline, measured alternately in the same run);
 *   - RSS and open file descriptors before and after, against the pool size;
 *   - `migrate --all` with one extra migration pending in every file (an index on audit_log).
 *     Last, because afterwards the files carry a migration this version does not know.
 *
 * The goals (migrate-all < 60 s, cold-handle p99 < 15 ms) are printed next to the
 * figures, never enforced: this exits 0 unless the setup itself breaks. BENCH_TENANT_REQUESTS
 * (default 2,000) sets the request pairs; BENCH_DIR puts the data on another disk (default the
 * OS temp dir, which should be a real disk for the fsync figures to mean anything).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql, type Migration } from "kysely";
import { migrateToLatest, migrationsAreCurrent } from "../../db/migrate";
import { kyselyFor, openSqlite } from "../../db/sqlite";
import { tenantMigrations } from "../../db/tenant/migrations";
import { tenantFilePath } from "../../db/tenant/paths";
import { provisionTenantFile } from "../../db/tenant/provision";
import { createUser } from "../auth/accounts";
import { newId, newToken } from "../auth/tokens";
import { loadConfig } from "../config";
import { createHttpServer } from "../http/server";
import { createServices, type Services } from "../services";
import { createTenant } from "../tenants/create-tenant";
import { migrateAllTenants, type MigrateAllResult } from "../tenants/migrate-all";
import { close, listen } from "./seed";

const TENANTS = Math.max(2, Number(process.env.BENCH_TENANTS ?? 10_000));
/**
 * Organisations made through the real createTenant path; the rest are filled from a template.
 * createTenant costs ~14 ms per organisation on a 2-core VM at FULL (the migrations commit once;
 * before ADR 010 each DDL statement paid its own fsync, ~50 ms), i.e. a little over two minutes
 * for 10,000. BENCH_REAL_TENANTS=N provisions only N for real, when only the other figures matter.
 */
const REAL = Math.min(TENANTS, Math.max(1, Number(process.env.BENCH_REAL_TENANTS ?? TENANTS)));
const REQUESTS = Math.max(10, Number(process.env.BENCH_TENANT_REQUESTS ?? 2_000));
const WARMUP = Math.min(50, REQUESTS);
const GOAL_MIGRATE_S = 60;
const GOAL_COLD_P99_MS = 15;

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const openFds = () => readdirSync("/proc/self/fd").length;
const resources = () => `RSS ${mb(process.memoryUsage().rss)} MB, open fds ${openFds()}`;

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function summarise(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), mean: sorted.reduce((s, x) => s + x, 0) / sorted.length };
}

function progress(label: string, done: number, total: number, started: number) {
  if (!process.stderr.isTTY && done % Math.max(1, Math.floor(total / 10)) !== 0) return;
  const s = (performance.now() - started) / 1000;
  process.stderr.write(
    `${process.stderr.isTTY ? "\r" : ""}${label} ${done}/${total} (${(done / Math.max(s, 0.001)).toFixed(0)}/s)${process.stderr.isTTY ? "" : "\n"}`,
  );
}

function printMigrate(label: string, r: MigrateAllResult) {
  const s = r.ms / 1000;
  console.log(
    `${label.padEnd(34)} ${s.toFixed(1).padStart(7)} s  (${(r.total / s).toFixed(0)} organisations/s; ${r.upToDate} current, ${r.migrated} migrated, ${r.failed.length} failed); goal < ${GOAL_MIGRATE_S} s: ${s < GOAL_MIGRATE_S ? "met" : "NOT MET"}`,
  );
  if (r.failed.length) console.log(`  first failure: ${r.failed[0]!.slug}: ${r.failed[0]!.error}`);
}

/**
 * `count` more organisations, each its own file: a copy of a file migrated by the real
 * provisionTenantFile, seeded with exactly what createTenant writes (the owner as member and the
 * org.create audit row) at the configured synchronous level, plus the control rows createTenant
 * publishes (an active tenant with its own wrapped data key, and the owner's membership).
 */
async function fillFromTemplate(
  services: Services,
  owner: { id: string; name: string; email: string },
  count: number,
  from: number,
  slugOf: (i: number) => string,
  tenants: { id: string; slug: string }[],
) {
  const { config, control } = services;
  const scratch = mkdtempSync(join(tmpdir(), "opslayer-bench-template-"));
  let template: Buffer;
  try {
    const id = newId("t");
    await provisionTenantFile(scratch, id, config.synchronous, async () => {});
    template = readFileSync(tenantFilePath(scratch, id));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const started = performance.now();
  const BATCH = 500;
  for (let start = 0; start < count; start += BATCH) {
    const batch: { id: string; slug: string; name: string; now: number }[] = [];
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      const id = newId("t");
      const now = Date.now();
      const slug = slugOf(from + i);
      const name = `Organisation ${from + i}`;
      const file = tenantFilePath(config.dataDir, id);
      writeFileSync(file, template, { flag: "wx", mode: 0o600 });
      const db = openSqlite(file, { synchronous: config.synchronous, mustExist: true });
      try {
        db.transaction(() => {
          db.prepare("insert into members (user_id, role, name, email, joined_at) values (?, 'owner', ?, ?, ?)").run(
            owner.id,
            owner.name,
            owner.email,
            now,
          );
          db.prepare(
            "insert into audit_log (at, actor_kind, actor_id, ip, user_agent, action, target_type, target_id, detail) values (?, 'user', ?, '127.0.0.1', 'bench', 'org.create', 'org', ?, ?)",
          ).run(now, owner.id, id, JSON.stringify({ name, slug }));
        })();
      } finally {
        db.close();
      }
      batch.push({ id, slug, name, now });
      progress("filling", from + i + 1, from + count, started);
    }
    await control.transaction().execute(async (trx) => {
      for (const t of batch) {
        await trx
          .insertInto("tenants")
          .values({
            id: t.id,
            slug: t.slug,
            name: t.name,
            status: "active",
            plan: "standard",
            features: "{}",
            file_name: `${t.id}.sqlite`,
            wrapped_key: services.keys.createDataKey(t.id),
            created_by: owner.id,
            created_at: t.now,
          })
          .execute();
        await trx.insertInto("memberships").values({ user_id: owner.id, tenant_id: t.id, created_at: t.now }).execute();
      }
    });
    tenants.push(...batch.map(({ id, slug }) => ({ id, slug })));
  }
}

async function main() {
  const dataDir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "opslayer-bench-tenants-"));
  const config = loadConfig({
    ...process.env,
    DATA_DIR: dataDir,
    NODE_ENV: "test",
    PORT: "0",
    HOST: "127.0.0.1",
    APP_URL: "http://127.0.0.1",
  });
  const services = await createServices(config, { log: () => {} });
  const app = createHttpServer(services);
  try {
    console.log(
      `\n== ${TENANTS} organisations, one file each (SQLITE_SYNCHRONOUS=${config.synchronous}, TENANT_POOL_SIZE=${config.tenantPoolSize}, data in ${dataDir})`,
    );
    const email = "many@example.test";
    const password = newToken();
    const user = await createUser(services, { name: "Many Orgs", email, password, verified: true, isStaff: false });
    const info = { ip: "127.0.0.1", userAgent: "bench" };

    const tenants: { id: string; slug: string }[] = [];
    const slugOf = (i: number) => `org-${String(i).padStart(5, "0")}`;
    const started = performance.now();
    for (let i = 0; i < REAL; i++) {
      const org = await createTenant(services, user, { name: `Organisation ${i}`, slug: slugOf(i) }, info);
      tenants.push({ id: org.id, slug: org.slug });
      progress("provisioning", i + 1, REAL, started);
    }
    const provisionS = (performance.now() - started) / 1000;
    const each = provisionS / REAL;
    console.log(
      `provision ${REAL} organisations (createTenant) ${provisionS.toFixed(1).padStart(7)} s  (${(1 / each).toFixed(1)} organisations/s, ${(each * 1000).toFixed(1)} ms each` +
        (REAL < TENANTS ? `; ${TENANTS} at this rate: ${((each * TENANTS) / 60).toFixed(1)} min)` : ")"),
    );
    if (REAL < TENANTS) {
      const filled = performance.now();
      await fillFromTemplate(services, user, TENANTS - REAL, REAL, slugOf, tenants);
      const fillS = (performance.now() - filled) / 1000;
      console.log(
        `  + ${TENANTS - REAL} more from a migrated template with the same seed (setup only, not a provisioning figure): ${fillS.toFixed(1)} s`,
      );
    }
    // createTenant leaves nothing open in the pool; close anything anyway so the figures start cold.
    await services.pool.closeAll();

    printMigrate("migrate --all, all current", await migrateAllTenants(services));

    // --- cold-handle latency over real HTTP -------------------------------------------------
    const port = await listen(app);
    const origin = config.appUrl!;
    const login = await fetch(`http://127.0.0.1:${port}/api/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin },
      body: JSON.stringify({ email, password }),
    });
    const cookie = login.headers.getSetCookie()[0]?.split(";")[0];
    if (login.status !== 200 || !cookie) throw new Error(`login failed: ${login.status} ${await login.text()}`);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const me = (slug: string) =>
      new Promise<number>((resolve, reject) => {
        const path = `/api/trpc/members.me?input=${encodeURIComponent(JSON.stringify({ org: slug }))}`;
        const t0 = performance.now();
        const req = request({ host: "127.0.0.1", port, path, headers: { cookie }, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const ms = performance.now() - t0;
            if (res.statusCode !== 200)
              reject(new Error(`members.me ${slug}: ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 200)}`));
            else resolve(ms);
          });
          res.on("error", reject);
        });
        req.on("error", reject);
        req.end();
      });
    const randomCold = () => {
      for (;;) {
        const t = tenants[Math.floor(Math.random() * tenants.length)]!;
        if (!services.pool.isOpen(t.id)) return t;
      }
    };
    const before = resources();
    // Fill the pool first, so every cold request also evicts (and closes) the least recently used handle.
    for (let i = 0; i < config.tenantPoolSize + WARMUP; i++) {
      const t = randomCold();
      await me(t.slug);
      await me(t.slug);
    }
    const cold: number[] = [];
    const warm: number[] = [];
    const n = Math.min(REQUESTS, TENANTS - config.tenantPoolSize);
    for (let i = 0; i < n; i++) {
      const t = randomCold();
      cold.push(await me(t.slug));
      if (!services.pool.isOpen(t.id)) throw new Error(`${t.slug} is not in the pool after its request`);
      // Alternating with the baseline: drift (GC, page cache) lands on both alike.
      warm.push(await me(t.slug));
    }
    const after = resources();
    agent.destroy();
    const c = summarise(cold);
    const w = summarise(warm);
    const x = (a: number, b: number) => (a / b).toFixed(1);
    console.log(`members.me, ${n} requests each          p50 ms   p99 ms  mean ms`);
    console.log(
      `  handle in the pool (baseline)     ${w.p50.toFixed(2).padStart(8)} ${w.p99.toFixed(2).padStart(8)} ${w.mean.toFixed(2).padStart(8)}`,
    );
    console.log(
      `  handle not in the pool (cold)     ${c.p50.toFixed(2).padStart(8)} ${c.p99.toFixed(2).padStart(8)} ${c.mean.toFixed(2).padStart(8)}`,
    );
    console.log(
      `  cold = ${x(c.p50, w.p50)} × baseline at p50, ${x(c.p99, w.p99)} × at p99; goal cold p99 < ${GOAL_COLD_P99_MS} ms: ${c.p99 < GOAL_COLD_P99_MS ? "met" : "NOT MET"}`,
    );
    console.log(
      `  before: ${before}; after: ${after}; pool holds ${services.pool.size} of ${config.tenantPoolSize} handles (3 fds each in WAL mode)`,
    );
    await close(app);
    await services.pool.closeAll();

    // Where a cold request's time goes: opening the file, and the check that it is current (the
    // pool runs Kysely's migrator only when it is not; its cost on a current file is shown beside).
    const probe = { open: [] as number[], migrator: [] as number[], quick: [] as number[] };
    for (let i = 0; i < Math.min(200, tenants.length); i++) {
      const t = tenants[Math.floor(Math.random() * tenants.length)]!;
      let t0 = performance.now();
      const raw = openSqlite(tenantFilePath(dataDir, t.id), { synchronous: config.synchronous, mustExist: true });
      const db = kyselyFor(raw);
      probe.open.push(performance.now() - t0);
      t0 = performance.now();
      migrationsAreCurrent(raw, tenantMigrations);
      probe.quick.push(performance.now() - t0);
      t0 = performance.now();
      await migrateToLatest(db, tenantMigrations, t.id);
      probe.migrator.push(performance.now() - t0);
      await db.destroy();
    }
    const [o, m, q] = [summarise(probe.open), summarise(probe.migrator), summarise(probe.quick)];
    console.log(
      `  of a cold open: openSqlite p50 ${o.p50.toFixed(2)} ms; migrationsAreCurrent p50 ${q.p50.toFixed(2)} ms (Kysely's migrator on the same current file would take p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)})`,
    );

    // --- one migration pending everywhere ---------------------------------------------------
    const extra: Migration = {
      async up(db) {
        await sql`create index bench_audit_action on audit_log (action)`.execute(db);
      },
    };
    printMigrate(
      "migrate --all, one pending in all",
      await migrateAllTenants(services, { migrations: { ...tenantMigrations, "9999_bench_extra_index": extra } }),
    );
    console.log(`  ${resources()}`);
  } finally {
    if (app.listening) await close(app);
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
