import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const REPO = resolve(import.meta.dirname, "../../..");
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
export const CRASH_TRIGGER = pathToFileURL(join(REPO, "server/test/support/crash-trigger.ts")).href;

export interface Supervised {
  pid: number;
  dir: string;
  /** Everything the primary and its workers printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Resolves with the match once the output from `from` on matches, or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, from?: number, timeoutMs?: number): Promise<RegExpExecArray & { end: number }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
  cleanup(): Promise<void>;
}

/**
 * `npm start`'s supervisor (server/start.ts) as a child process, on 127.0.0.1 port 0 with a fresh
 * DATA_DIR. It runs in a temp working directory holding a stub Remix build (an empty module), since
 * the real UI build does not exist when the unit tests run; nothing here requests a Remix page.
 */
export function startSupervised(options: { env?: Record<string, string>; preload?: string[] } = {}): Supervised {
  const dir = mkdtempSync(join(tmpdir(), "opslayer-supervised-"));
  mkdirSync(join(dir, "build/server"), { recursive: true });
  writeFileSync(join(dir, "build/server/index.js"), "export const routes = {};\n");
  const imports = [TSX, ...(options.preload ?? [])].flatMap((url) => ["--import", url]);
  const child = spawn(process.execPath, [...imports, join(REPO, "server/start.ts")], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      TSX_TSCONFIG_PATH: join(REPO, "tsconfig.json"),
      NODE_ENV: "test",
      HOST: "127.0.0.1",
      PORT: "0",
      DATA_DIR: join(dir, "data"),
      SHUTDOWN_GRACE_SECONDS: "2",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let closed = false;
  const waiters = new Set<() => void>();
  const onData = (chunk: string) => {
    out += chunk;
    for (const check of waiters) check();
  };
  child.stdout.setEncoding("utf8").on("data", onData);
  child.stderr.setEncoding("utf8").on("data", onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done, fail) => {
    child.once("error", fail);
    // "close", not "exit": the last lines are read by then.
    child.once("close", (code, signal) => {
      closed = true;
      for (const check of waiters) check();
      done({ code, signal });
    });
  });
  return {
    pid: child.pid!,
    dir,
    output: () => out,
    waitFor(pattern, from = 0, timeoutMs = 45_000) {
      return new Promise((done, fail) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          fail(new Error(`no ${pattern} in the output within ${timeoutMs} ms:\n${out.slice(from)}`));
        }, timeoutMs);
        const check = () => {
          const flags = pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`;
          const global = new RegExp(pattern.source, flags);
          global.lastIndex = from;
          const match = global.exec(out);
          if (match) {
            clearTimeout(timer);
            waiters.delete(check);
            done(Object.assign(match, { end: match.index + match[0].length }));
          } else if (closed) {
            clearTimeout(timer);
            waiters.delete(check);
            fail(new Error(`the supervisor exited before ${pattern} appeared:\n${out.slice(from)}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    exited,
    kill: (signal) => child.kill(signal),
    async cleanup() {
      if (!closed) {
        child.kill("SIGKILL");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether a process with this pid is still alive (signal 0 checks without sending anything). */
export function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
