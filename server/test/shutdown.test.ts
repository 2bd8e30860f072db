import { Agent, createServer, get, type Server } from "node:http";
import { connect } from "node:net";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { gracefulStop } from "../process/shutdown";

/** A real node:http server whose `/slow` requests wait until the test lets them go. */
async function slowServer() {
  let arrived!: () => void;
  const arrival = new Promise<void>((resolve) => (arrived = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const server = createServer((req, res) => {
    if (req.url !== "/slow") return void res.end("quick");
    arrived();
    void released.then(() => res.end("done"));
  });
  // No keep-alive timeout: only the stop itself may close an idle connection.
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { server, port, url: `http://127.0.0.1:${port}`, arrival, release };
}

// Keeps its sockets open for as long as the server lets it.
const agent = new Agent({ keepAlive: true });

function request(url: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    get(url, { agent }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    }).on("error", reject);
  });
}

function refusesConnections(port: number) {
  return new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

function watch(server: Server, graceMs: number) {
  const calls: string[] = [];
  let exited!: (code: number) => void;
  const exit = new Promise<number>((resolve) => (exited = resolve));
  const stop = gracefulStop({
    server,
    graceMs,
    log: (line) => calls.push(line),
    stopJobs: () => calls.push("stopJobs"),
    closeRest: async () => {
      calls.push("closeRest");
      await Promise.resolve();
    },
    exit: (code) => exited(code),
  });
  return { stop, calls, exit };
}

let open: Server | undefined;
afterEach(() => {
  open?.closeAllConnections();
  open?.close();
  open = undefined;
});
afterAll(() => agent.destroy());

describe("graceful stop", () => {
  it("stops accepting, lets the request in flight finish, closes idle keep-alive connections, then closes the rest and exits", async () => {
    const { server, port, url, arrival, release } = await slowServer();
    open = server;
    // An idle keep-alive connection left behind by an earlier request must not hold the stop up.
    expect(await request(`${url}/`)).toEqual({ status: 200, body: "quick" });
    const inFlight = request(`${url}/slow`);
    await arrival;
    // A grace far longer than the test: the exit below can only come from draining.
    const { stop, calls, exit } = watch(server, 600_000);
    stop(0, "SIGTERM");
    expect(calls).toContain("stopJobs");
    expect(await refusesConnections(port)).toBe(true);
    expect(calls).not.toContain("closeRest");
    release();
    expect(await inFlight).toEqual({ status: 200, body: "done" });
    expect(await exit).toBe(0);
    expect(calls.filter((c) => c === "closeRest")).toHaveLength(1);
    expect(calls[0]).toMatch(/^\[server\] SIGTERM: stopped accepting; requests in flight have 600 s to finish$/);
  });

  it("cuts a request still running when the grace is over, and a crash while stopping makes the exit code 1", async () => {
    const { server, url, arrival } = await slowServer();
    open = server;
    const never = request(`${url}/slow`).then(
      () => "answered",
      () => "cut",
    );
    await arrival;
    const { stop, calls, exit } = watch(server, 50);
    stop(0, "SIGTERM");
    stop(1, "after an uncaught exception");
    expect(await never).toBe("cut");
    expect(await exit).toBe(1);
    expect(calls.filter((c) => c === "closeRest")).toHaveLength(1);
    expect(calls.filter((c) => c.startsWith("[server]"))).toHaveLength(1);
  });
});
