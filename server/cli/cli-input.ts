import { parseArgs, type ParseArgsConfig } from "node:util";
import type { z } from "zod";
import { UsageError } from "./command";

const CLI_INFO = { ip: "cli", userAgent: "opslayer-cli" };

/** Audit and security rows written by the operator CLI name it as the source instead of an IP. */
export function cliInfo() {
  return CLI_INFO;
}

/** parseArgs that turns its own errors (unknown option, missing value) into exit 64, followed by `usage` when given. */
export function parseCliArgs<T extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: T,
  allowPositionals = false,
  usage?: string,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(usage ? `${message}\n\n${usage}` : message);
  }
}

/** The same zod schemas the API uses, so the CLI refuses exactly what the UI refuses. */
export function checked<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new UsageError(`${what}: ${result.error.issues[0]?.message ?? "invalid"}`);
  return result.data;
}

/** Reads a secret from stdin (piped), or prompts without echo on a terminal. */
export async function readSecret(prompt: string, fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks)
      .toString("utf8")
      .replace(/\r?\n$/, "");
  }
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  // Hide what is typed: readline echoes through _writeToOutput.
  const anyRl = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WriteStream };
  anyRl._writeToOutput = (s: string) => anyRl.output.write(s.startsWith(prompt) ? prompt : "");
  const answer = await rl.question(prompt);
  rl.close();
  process.stdout.write("\n");
  return answer;
}
