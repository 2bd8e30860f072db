import { spawn } from "node:child_process";

export interface ScriptRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a TypeScript entry point (the CLI, the server) in a child Node process, as an operator would.
 * Asynchronous on purpose: spawnSync blocks the vitest worker, whose RPC to the main process then
 * times out ("Timeout calling onTaskUpdate") when a test runs several commands on a loaded machine.
 * `node --import tsx` rather than `npx tsx`: the same loader without npx's start-up.
 */
export function runTsx(
  script: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.on("error", () => undefined); // a command that exits before reading its input
    child.stdin.end(options.input ?? "");
  });
}
