import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";

/**
 * What a running server says about itself in DATA_DIR/server.json. Trusted only while the server's
 * lock on DATA_DIR/server.lock is held: a crashed server leaves the file behind, never the lock.
 */
export interface RunningServer {
  /** null only in the instant between taking the lock and writing the info (a server starting). */
  pid: number | null;
  /** null until the server listens. */
  port: number | null;
  /** ISO time the server took the lock. */
  startedAt: string | null;
  /** Ids (16 hex) of the master keys the server has loaded, current first. */
  keyIds: string[];
  /** The Unix socket on which it takes operator requests (control-socket.ts); null before it listens. */
  controlSocket: string | null;
  /** Set when the holder is an offline command (`restore --all`), not a server. */
  command?: string | null;
}

const LOCK_FILE = "server.lock";
const INFO_FILE = "server.json";

export const lockPath = (dataDir: string) => join(dataDir, LOCK_FILE);
const infoPath = (dataDir: string) => join(dataDir, INFO_FILE);

/** Another server holds DATA_DIR; starting a second one would have two processes replacing each other's files. */
export class DataDirInUseError extends Error {
  override name = "DataDirInUseError";
  constructor(
    readonly dataDir: string,
    readonly server: RunningServer,
  ) {
    super(`${dataDir} is in use by ${describeRunningServer(server)}; stop it first, or give this server another DATA_DIR.`);
  }
}

/** "the opslayer server running on this DATA_DIR (pid 4242, port 3000, started 2026-…)". */
export function describeRunningServer(server: RunningServer) {
  if (server.command)
    return `the opslayer command \`${server.command}\` running on this DATA_DIR (${server.pid === null ? "pid unknown" : `pid ${server.pid}`})`;
  const facts = [
    server.pid === null ? "pid unknown, starting" : `pid ${server.pid}`,
    server.port === null ? "not listening yet" : `port ${server.port}`,
    ...(server.startedAt ? [`started ${server.startedAt}`] : []),
  ];
  return `the opslayer server running on this DATA_DIR (${facts.join(", ")})`;
}

const isBusy = (error: unknown) => (error as { code?: string }).code?.startsWith("SQLITE_BUSY") ?? false;

/**
 * Whether some process holds the lock, by trying to read the lock database. The lock is SQLite's
 * own (a POSIX byte-range lock the kernel drops when its process dies, however it dies), so a
 * stale pid file can never pass for a live server, and a pid reused by another program cannot either.
 */
function lockIsHeld(dataDir: string) {
  const path = lockPath(dataDir);
  if (!existsSync(path)) return false; // no server ever started here
  let db: Database.Database | null = null;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: 0 });
    db.prepare("select count(*) from sqlite_master").get();
    return false;
  } catch (error) {
    if (isBusy(error)) return true;
    // Not knowing is not "no server": a command run as another user must not go ahead.
    throw new Error(
      `cannot tell whether a server runs on ${dataDir}: ${path} cannot be read (${(error as Error).message}); run the command as the server's user`,
    );
  } finally {
    db?.close();
  }
}

function readInfo(dataDir: string): RunningServer | null {
  try {
    const raw = JSON.parse(readFileSync(infoPath(dataDir), "utf8")) as Partial<RunningServer>;
    return {
      pid: typeof raw.pid === "number" ? raw.pid : null,
      port: typeof raw.port === "number" ? raw.port : null,
      startedAt: typeof raw.startedAt === "string" ? raw.startedAt : null,
      keyIds: Array.isArray(raw.keyIds) ? raw.keyIds.filter((k): k is string => typeof k === "string") : [],
      controlSocket: typeof raw.controlSocket === "string" ? raw.controlSocket : null,
      ...(typeof raw.command === "string" ? { command: raw.command } : {}),
    };
  } catch {
    return null;
  }
}

/**
 * The server running on `dataDir`, or null when none holds its lock. For the CLI: a command that
 * replaces files the server holds open refuses while this is not null, and `restore --org` asks it
 * (over `controlSocket`) to take the organisation out of service first.
 */
export function runningServer(dataDir: string): RunningServer | null {
  if (!lockIsHeld(dataDir)) return null;
  return (
    readInfo(dataDir) ?? {
      pid: null,
      port: null,
      startedAt: null,
      keyIds: [],
      controlSocket: null,
    }
  );
}

export interface DataDirLock {
  readonly info: RunningServer;
  /** Adds facts as the server learns them (its port once listening, its key ids, its socket). */
  publish(facts: Partial<RunningServer>): void;
  /** At a clean stop: the info file goes, then the lock. A crash skips this; the kernel drops the lock. */
  release(): void;
}

/**
 * Takes DATA_DIR for this process's lifetime: an exclusive lock on DATA_DIR/server.lock (an SQLite
 * database in locking_mode=EXCLUSIVE, whose lock is held from the first write until the connection
 * closes), plus DATA_DIR/server.json with the facts the CLI needs. Throws DataDirInUseError when
 * another live process holds it.
 */
export function holdDataDir(dataDir: string, facts: Partial<RunningServer> = {}): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  // A short wait: a CLI probing the lock holds a shared lock for a moment.
  const db = new Database(lockPath(dataDir), { timeout: 2_000 });
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    db.pragma("journal_mode = DELETE");
    db.exec("create table if not exists holder (pid integer not null, started_at text not null)");
    db.transaction(() => {
      db.exec("delete from holder");
      db.prepare("insert into holder values (?, ?)").run(process.pid, new Date().toISOString());
    })();
  } catch (error) {
    db.close();
    if (isBusy(error)) throw new DataDirInUseError(dataDir, runningServer(dataDir) ?? readInfo(dataDir) ?? emptyInfo());
    throw error;
  }
  const info: RunningServer = {
    ...emptyInfo(),
    pid: process.pid,
    startedAt: new Date().toISOString(),
    ...facts,
  };
  const write = () => {
    const tmp = `${infoPath(dataDir)}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, infoPath(dataDir));
  };
  write();
  let held = true;
  return {
    info,
    publish(more) {
      Object.assign(info, more);
      if (held) write();
    },
    release() {
      if (!held) return;
      held = false;
      rmSync(infoPath(dataDir), { force: true });
      db.close();
    },
  };
}

const emptyInfo = (): RunningServer => ({ pid: null, port: null, startedAt: null, keyIds: [], controlSocket: null });

/**
 * Where the server listens for operator requests: DATA_DIR/run/control.sock, in a directory only
 * the server's user may enter (a socket's own mode is not honoured everywhere). A Unix socket path
 * is limited to about 107 bytes; a deeper DATA_DIR gets a directory of the same kind under the
 * system's temp dir, named after DATA_DIR, and server.json says which.
 */
export function controlSocketPath(dataDir: string) {
  const inDataDir = join(dataDir, "run", "control.sock");
  if (Buffer.byteLength(inDataDir) <= 100) return inDataDir;
  const tag = createHash("sha256").update(dataDir).digest("hex").slice(0, 16);
  return join(tmpdir(), `opslayer-${tag}`, "control.sock");
}
