/**
 * Where a projects.list request spends its time, step by step, without HTTP or a load generator:
 * `tsx server/bench/projects-list-steps.ts`. Each step runs alone (sequential) and then 64 at a time,
 * because the Kysely SQLite driver serialises every query through one mutex and the concurrent
 * figure is what a loaded server pays.
 */
import { parse } from "cookie";
import { performance } from "node:perf_hooks";
import { openSqlite } from "../../db/sqlite";
import { FULL_ACCESS } from "../../db/tenant/visibility";
import { runInTenant } from "../../db/tenant/context";
import { tenantFilePath } from "../../db/tenant/paths";
import { listProjects } from "../../db/tenant/projects";
import { resolveSession } from "../auth/session";
import { createCaller } from "../routers/_app";
import { createContext } from "../trpc/context";
import { startSeededApp } from "./seed";

const N = Number(process.env.STEPS_N ?? 4000);
const CONCURRENCY = 64;

async function time(label: string, fn: () => unknown) {
  for (let i = 0; i < 500; i++) await fn();
  let t = performance.now();
  for (let i = 0; i < N; i++) await fn();
  const sequential = ((performance.now() - t) * 1000) / N;
  t = performance.now();
  for (let i = 0; i < N; i += CONCURRENCY) await Promise.all(Array.from({ length: CONCURRENCY }, fn));
  const concurrent = ((performance.now() - t) * 1000) / (Math.ceil(N / CONCURRENCY) * CONCURRENCY);
  console.log(`${label.padEnd(44)} ${sequential.toFixed(1).padStart(8)} ${concurrent.toFixed(1).padStart(10)}`);
}

const s = await startSeededApp();
try {
  const { services, org, user, cookie, config } = s;
  const input = { org: org.slug, limit: 50, offset: 0, includeArchived: false };
  const raw = openSqlite(tenantFilePath(s.dataDir, org.id), { synchronous: config.synchronous, mustExist: true });
  const stmt = raw.prepare(
    'select "projects".*, "clients"."name" as "client_name" from "projects" inner join "clients" on "clients"."id" = "projects"."client_id" ' +
      'where "projects"."archived_at" is null order by "projects"."name", "projects"."id" limit ? offset ?',
  );
  const lease = await services.pool.acquire(org.id);
  const facts = { cookieHeader: cookie, info: { ip: "127.0.0.1", userAgent: "bench" }, origin: s.appUrl, setCookie: () => {} };
  const rows = stmt.all(50, 0);

  console.log(`${"step (µs per op)".padEnd(44)} ${"alone".padStart(8)} ${`x${CONCURRENCY}`.padStart(10)}`);
  await time("raw prepared list query (baseline)", () => stmt.all(50, 0));
  await time("JSON.stringify 50 rows", () => JSON.stringify({ result: { data: rows } }));
  await time("session: resolveSession (Lucia + control db)", () =>
    resolveSession(services, parse(cookie)[services.auth.sessionCookieName], () => {}),
  );
  await time("membership query (control db, Kysely)", () =>
    services.control
      .selectFrom("memberships")
      .innerJoin("tenants", "tenants.id", "memberships.tenant_id")
      .select(["tenants.id", "tenants.slug", "tenants.name"])
      .where("memberships.user_id", "=", user.id)
      .where("tenants.slug", "=", org.slug)
      .where("tenants.status", "=", "active")
      .executeTakeFirst(),
  );
  await time("pool acquire + release", async () => (await services.pool.acquire(org.id)).release());
  await time("member role query (tenant db, Kysely)", () =>
    lease.db.selectFrom("members").select(["role"]).where("user_id", "=", user.id).executeTakeFirst(),
  );
  await time("list query, Kysely build+compile only", () =>
    runInTenant({ tenantId: org.id, db: lease.db, access: FULL_ACCESS }, () => {
      lease.db
        .selectFrom("projects")
        .innerJoin("clients", "clients.id", "projects.client_id")
        .selectAll("projects")
        .select("clients.name as client_name")
        .orderBy("projects.name")
        .orderBy("projects.id")
        .limit(50)
        .offset(0)
        .where("projects.archived_at", "is", null)
        .compile();
    }),
  );
  await time("list query via listProjects (Kysely)", () =>
    runInTenant({ tenantId: org.id, db: lease.db, access: FULL_ACCESS }, () => listProjects(input)),
  );
  await time("createContext (session) + tRPC caller list", async () => {
    const ctx = await createContext(services, facts);
    return createCaller(ctx).projects.list({ org: org.slug, limit: 50 });
  });
  lease.release();
  raw.close();
} finally {
  await s.cleanup();
}
process.exit(0);
