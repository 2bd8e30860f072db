import { chmodSync, mkdirSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import type { TenantPool } from "../../db/pool";

/**
 * The channel through which an operator's command asks the running server to do what only the
 * server can do safely: close its handle on an organisation's file and keep everyone out while the
 * command replaces the contents. One JSON object per line each way.
 *
 *   → {"op":"out-of-service","tenantId":"…","reason":"being restored"}   ← {"ok":true}
 *   → {"op":"in-service","tenantId":"…"}                                  ← {"ok":true}
 *
 * An organisation taken out of service stays out only while the connection that asked stays open:
 * a command that dies half way (killed, crashed) puts it back in service by dying, so nothing can
 * strand an organisation behind a 503. The socket lives in a 0700 directory: only the server's own
 * user (the one who runs the CLI) can connect.
 */
export type OperatorRequest =
  { op: "out-of-service"; tenantId: string; reason?: string } | { op: "in-service"; tenantId: string } | { op: "status" };

export type OperatorReply = { ok: true; outOfService?: string[] } | { ok: false; error: string };

/** How long the server waits for the requests holding an organisation's handle to finish. */
const DRAIN_MS = 30_000;
const TENANT_ID = /^[a-z0-9_-]{1,64}$/i;

export interface ControlSocketDeps {
  pool: Pick<TenantPool, "takeOutOfService" | "returnToService" | "isOutOfService">;
  log: (line: string) => void;
}

export async function listenForOperator(deps: ControlSocketDeps, path: string): Promise<{ close(): Promise<void> }> {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  // We hold DATA_DIR's lock: a socket file here is a dead server's.
  rmSync(path, { force: true });
  const held = new Map<Socket, Set<string>>();
  const server = createServer((socket) => {
    const mine = new Set<string>();
    held.set(socket, mine);
    socket.on("error", () => undefined); // the command went away; "close" below cleans up
    socket.on("close", () => {
      held.delete(socket);
      for (const tenantId of mine) {
        deps.pool.returnToService(tenantId);
        deps.log(`[operator] ${tenantId} back in service (the command's connection closed)`);
      }
    });
    const lines = createInterface({ input: socket, crlfDelay: Infinity });
    lines.on("line", (line) => {
      void handle(deps, mine, line).then((reply) => {
        if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
      });
    });
  });
  server.on("error", (error) => deps.log(`[operator] control socket: ${error.message}`));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  return {
    close: () => closeServer(server, held),
  };
}

async function closeServer(server: Server, held: Map<Socket, Set<string>>) {
  for (const socket of held.keys()) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function parse(line: string): OperatorRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return "the request is not JSON";
  }
  const r = value as Partial<{ op: string; tenantId: unknown; reason: unknown }>;
  if (r?.op === "status") return { op: "status" };
  if (r?.op !== "out-of-service" && r?.op !== "in-service") return `unknown op ${JSON.stringify(r?.op)}`;
  if (typeof r.tenantId !== "string" || !TENANT_ID.test(r.tenantId)) return "tenantId must be an organisation id";
  if (r.op === "in-service") return { op: "in-service", tenantId: r.tenantId };
  const reason = typeof r.reason === "string" && r.reason.length <= 80 ? r.reason : "being restored";
  return { op: "out-of-service", tenantId: r.tenantId, reason };
}

async function handle(deps: ControlSocketDeps, mine: Set<string>, line: string): Promise<OperatorReply> {
  const request = parse(line);
  if (typeof request === "string") return { ok: false, error: request };
  if (request.op === "status") return { ok: true, outOfService: [...mine] };
  const { tenantId } = request;
  if (request.op === "in-service") {
    if (!mine.delete(tenantId)) return { ok: false, error: `${tenantId} was not taken out of service on this connection` };
    deps.pool.returnToService(tenantId);
    deps.log(`[operator] ${tenantId} back in service`);
    return { ok: true };
  }
  if (deps.pool.isOutOfService(tenantId)) return { ok: false, error: `${tenantId} is already out of service (another command holds it)` };
  mine.add(tenantId);
  deps.log(`[operator] ${tenantId} out of service: ${request.reason}`);
  let timer: NodeJS.Timeout | undefined;
  const drained = deps.pool.takeOutOfService(tenantId, request.reason ?? "being restored").then(() => true);
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), DRAIN_MS)));
  try {
    if (await Promise.race([drained, late])) return { ok: true };
  } catch (error) {
    mine.delete(tenantId);
    deps.pool.returnToService(tenantId);
    return { ok: false, error: `could not close ${tenantId}: ${(error as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
  mine.delete(tenantId);
  deps.pool.returnToService(tenantId);
  deps.log(`[operator] ${tenantId} back in service: requests still held it after ${DRAIN_MS / 1000} s`);
  return { ok: false, error: `requests still held ${tenantId} open after ${DRAIN_MS / 1000} s; it is back in service, try again` };
}

/** The command's side: one connection, one request at a time. */
export class ServerControl {
  readonly #socket: Socket;
  readonly #replies: ((reply: OperatorReply) => void)[] = [];
  #closed: Promise<void>;
  #failure: Error | null = null;

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.#closed = new Promise((resolve) => socket.on("close", () => resolve()));
    socket.on("error", (error) => (this.#failure = error));
    createInterface({ input: socket, crlfDelay: Infinity }).on("line", (line) => {
      let reply: OperatorReply;
      try {
        reply = JSON.parse(line) as OperatorReply;
      } catch {
        reply = { ok: false, error: "the server's answer is not JSON" };
      }
      this.#replies.shift()?.(reply);
    });
    socket.on("close", () => {
      for (const waiting of this.#replies.splice(0))
        waiting({ ok: false, error: `the server closed the control connection${this.#failure ? ` (${this.#failure.message})` : ""}` });
    });
  }

  static connect(path: string): Promise<ServerControl> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new ServerControl(socket));
      });
    });
  }

  request(request: OperatorRequest): Promise<OperatorReply> {
    if (this.#socket.destroyed) return Promise.resolve({ ok: false, error: "the control connection is closed" });
    return new Promise((resolve) => {
      this.#replies.push(resolve);
      this.#socket.write(`${JSON.stringify(request)}\n`);
    });
  }

  /** Closing the connection puts back in service whatever it took out. */
  async close() {
    this.#socket.end();
    await this.#closed;
  }
}
