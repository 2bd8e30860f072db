import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config";
import { purgeExpired } from "../jobs/purge-expired";
import { createServices, type Services } from "../services";
import { createStaff } from "./create-staff";
import { grants } from "./grants";
import { listOrgs } from "./list-orgs";
import { migrateAll } from "./migrate-all";
import { rotateMasterKeyCommand } from "./rotate-master-key";

const USAGE = `opslayer operator CLI

  npm run cli -- create-staff --email <email> --name <name> [--password-stdin]
  npm run cli -- list-orgs [--json]
  npm run cli -- migrate --all
  npm run cli -- purge-sessions
  npm run cli -- grants list [--active] [--json]
  npm run cli -- grants revoke <grant-id>
  npm run cli -- rotate-master-key (--new-key-file <path> | with NEW_MASTER_KEY set)

Reads the same environment as the server (DATA_DIR, SQLITE_SYNCHRONOUS, MASTER_KEY, ...).`;

const commands: Record<string, (services: Services, args: string[]) => Promise<void>> = {
  "create-staff": createStaff,
  "list-orgs": listOrgs,
  migrate: migrateAll,
  grants,
  "rotate-master-key": rotateMasterKeyCommand,
  "purge-sessions": async (services) => {
    const n = await purgeExpired(services.control, services.clock.now());
    console.log(`Purged ${n.sessions} expired sessions and ${n.tokens} expired tokens.`);
  },
};

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({ args: command ? [] : process.argv.slice(2), options: { help: { type: "boolean", short: "h" } }, strict: false });
  const run = command ? commands[command] : undefined;
  if (!run || values.help) {
    console.log(USAGE);
    process.exit(run || values.help ? 0 : 64);
  }
  const services = await createServices(loadConfig(), { log: (line) => console.error(line) });
  try {
    await run(services, rest);
  } finally {
    await services.close();
  }
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(78);
  }
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
