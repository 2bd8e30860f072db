import type { Config } from "../config";
import type { Services } from "../services";

/** sysexits(3) codes, so scripts around the CLI can tell a typo from a failure. */
export const EXIT = { ok: 0, failure: 1, usage: 64, dataError: 65, cantCreate: 73, config: 78 } as const;

export interface CliContext {
  config: Config;
  args: string[];
  /** Opens the control DB, keys and pool on first call; commands that replace live files never call it. */
  services(): Promise<Services>;
}

export interface Command {
  summary: string;
  /** The whole `--help` text. */
  usage: string;
  /** Set by group(): it parses --help itself, per sub-command. */
  dispatches?: boolean;
  /** Set by group(): its sub-commands, so a test can read each one's help. */
  subs?: Record<string, Command>;
  /** Returns the exit code (default 0). */
  run(ctx: CliContext): Promise<number | void>;
}

/** Wrong arguments: the message and the usage are printed, exit 64. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A refusal or failure with its own exit code (e.g. 73 for "would overwrite a live file"). */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly code: number = EXIT.failure,
  ) {
    super(message);
  }
}

/** `tenant list`, `user delete`, …: a command made of named sub-commands, each with its own help. */
export function group(name: string, summary: string, subs: Record<string, Command>): Command {
  const usage = `npm run cli -- ${name} <${Object.keys(subs).join("|")}> [options]\n\n${Object.entries(subs)
    .map(([sub, c]) => `  ${`${name} ${sub}`.padEnd(24)} ${c.summary}`)
    .join("\n")}\n\nRun \`npm run cli -- ${name} <command> --help\` for its options.`;
  return {
    summary,
    usage,
    dispatches: true,
    subs,
    async run(ctx) {
      const [sub, ...args] = ctx.args;
      if (!sub || sub === "--help" || sub === "-h") {
        console.log(usage);
        return sub ? EXIT.ok : EXIT.usage;
      }
      const command = subs[sub];
      if (!command) throw new UsageError(`unknown command "${name} ${sub}"\n\n${usage}`);
      if (args.includes("--help") || args.includes("-h")) {
        console.log(command.usage);
        return EXIT.ok;
      }
      return command.run({ ...ctx, args });
    },
  };
}
