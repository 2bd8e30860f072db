/**
 * `npm run seed -- --large`: adds an organisation "large-agency" with 50 projects, 20,000 tasks and
 * 200,000 time entries to the instance in DATA_DIR (./data by default), owned by a new account whose
 * password is printed once. For trying the UI at scale; the benchmarks seed their own throwaway copy.
 */
import { openSqlite } from "../../db/sqlite";
import { tenantFilePath } from "../../db/tenant/paths";
import { createUser } from "../auth/accounts";
import { newToken } from "../auth/tokens";
import { loadConfig } from "../config";
import { createServices } from "../services";
import { createTenant } from "../tenants/create-tenant";
import { LARGE, seedLargeOrg } from "./seed-large";

async function main(args: string[]) {
  if (!args.includes("--large")) {
    console.error("usage: npm run seed -- --large [--slug <slug>]");
    process.exit(64);
  }
  const slugAt = args.indexOf("--slug");
  const slug = slugAt >= 0 ? args[slugAt + 1]! : "large-agency";
  const config = loadConfig(process.env);
  const services = await createServices(config, { log: () => {} });
  try {
    const password = newToken();
    const email = `owner@${slug}.test`;
    const user = await createUser(services, { name: "Large Agency Owner", email, password, isStaff: false, verified: true });
    const org = await createTenant(services, user, { name: "Large Agency", slug }, { ip: "127.0.0.1", userAgent: "seed" });
    await services.pool.close(org.id);
    const db = openSqlite(tenantFilePath(config.dataDir, org.id), { synchronous: config.synchronous, mustExist: true });
    const started = performance.now();
    try {
      seedLargeOrg(db, user.id, LARGE);
    } finally {
      db.close();
    }
    console.log(
      `seeded /o/${slug}: ${LARGE.projects} projects, ${LARGE.tasks} tasks, ${LARGE.timeEntries} time entries in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    console.log(`log in as ${email} with password ${password}`);
  } finally {
    await services.close();
  }
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
