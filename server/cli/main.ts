import { ConfigError, loadConfig } from "../config";
import { createServices, type Services } from "../services";
import { EXIT, CliError, UsageError, type CliContext, type Command } from "./command";
import { commands } from "./commands";

function usage() {
  const width = Math.max(...Object.keys(commands).map((n) => n.length)) + 2;
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)} ${c.summary}`);
  return `opslayer operator CLI

Usage: npx opslayer <command> [options]   (or: npm run cli -- <command> [options])

${lines.join("\n")}

Every command takes --help. Reads the same environment as the server (DATA_DIR, MASTER_KEY,
MASTER_KEY_FILE, BACKUP_DIR, ...). Exit codes: 0 ok, 1 failed, 64 bad usage, 65 invalid input
file, 73 refused to overwrite, 78 bad configuration.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name ? EXIT.ok : EXIT.usage;
  }
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!entry) {
    console.error(`unknown command "${name}"\n`);
    console.log(usage());
    return EXIT.usage;
  }
  const command: Command = await entry.load();
  if ((args.includes("--help") || args.includes("-h")) && !command.dispatches) {
    console.log(command.usage);
    return EXIT.ok;
  }
  const config = loadConfig();
  let services = null as Promise<Services> | null;
  const ctx: CliContext = {
    config,
    args,
    services: () => (services ??= createServices(config, { log: (line) => console.error(line) })),
  };
  try {
    return (await command.run(ctx)) ?? EXIT.ok;
  } finally {
    if (services) await (await services).close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(EXIT.config);
    }
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exit(EXIT.usage);
    }
    console.error(error instanceof Error ? error.message : error);
    process.exit(error instanceof CliError ? error.code : EXIT.failure);
  },
);
