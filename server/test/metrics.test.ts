import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withRequestId } from "../http/request-id";
import { startInstance, type Instance } from "./support/instance";

const TOKEN = "metrics-token-for-the-test-0123456789";

async function get(url: string, headers: Record<string, string> = {}, method = "GET") {
  const res = await fetch(url, { method, headers });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe("/metrics without METRICS_TOKEN", () => {
  let instance: Instance;
  beforeAll(async () => (instance = await startInstance()));
  afterAll(() => instance.stop());

  it("answers a loopback client in the Prometheus text format, with the worker's and the process's metrics", async () => {
    const res = await get(`${instance.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(res.text).toMatch(/^# TYPE opslayer_worker_restarts_total counter\nopslayer_worker_restarts_total 0$/m);
    expect(res.text).toMatch(/^opslayer_worker_start_time_seconds \d{10}$/m);
    // The scrape itself is the one request in flight.
    expect(res.text).toMatch(/^opslayer_http_requests_in_flight 1$/m);
    expect(res.text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(res.text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it.each([
    ["x-forwarded-for", "203.0.113.7"],
    ["forwarded", "for=203.0.113.7"],
    ["x-real-ip", "203.0.113.7"],
  ])("refuses a request that came through a proxy (%s), since the proxy is what sits on loopback", async (header, value) => {
    const res = await get(`${instance.url}/metrics`, { [header]: value });
    expect(res.status).toBe(403);
    expect(res.text).toContain("set METRICS_TOKEN");
    expect(res.text).not.toContain("opslayer_worker");
  });

  it("reads only", async () => {
    const res = await get(`${instance.url}/metrics`, { "content-type": "text/plain" }, "POST");
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("/metrics with METRICS_TOKEN", () => {
  let instance: Instance;
  beforeAll(async () => (instance = await startInstance({ METRICS_TOKEN: TOKEN })));
  afterAll(() => instance.stop());

  it.each([
    ["no credentials", {}],
    ["a wrong token of the same length", { authorization: `Bearer ${TOKEN.replace(/.$/, "X")}` }],
    ["a prefix of the token", { authorization: `Bearer ${TOKEN.slice(0, 16)}` }],
    ["the token in another scheme", { authorization: `Basic ${TOKEN}` }],
  ])("refuses %s with 401, loopback or not", async (_label, headers: Record<string, string>) => {
    const res = await get(`${instance.url}/metrics`, headers);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
    expect(res.text).not.toContain("opslayer_worker");
  });

  it("answers the token from anywhere, through a proxy too", async () => {
    const res = await get(`${instance.url}/metrics`, { authorization: `Bearer ${TOKEN}`, "x-forwarded-for": "203.0.113.7" });
    expect(res.status).toBe(200);
    expect(res.text).toContain("opslayer_worker_restarts_total 0");
  });
});

describe("request ids", () => {
  let instance: Instance;
  let probe: Server;
  let probeUrl: string;
  beforeAll(async () => {
    instance = await startInstance();
    // A handler of our own on the same request-id wrapper, logging through the real services.log after an await.
    probe = createServer((req, res) =>
      withRequestId(req, res, (_req, response) => {
        void Promise.resolve().then(() => {
          instance.services.log("[probe] one line");
          instance.services.log("[probe] first line\n    second line");
          response.end("ok");
        });
      }),
    );
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const address = probe.address();
    probeUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => probe.close(resolve));
    await instance.stop();
  });

  it("echoes a well-formed X-Request-Id and replaces a missing or malformed one with a fresh UUID", async () => {
    expect((await get(`${instance.url}/login`, { "x-request-id": "edge-7f3a.42" })).headers.get("x-request-id")).toBe("edge-7f3a.42");
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const a = (await get(`${instance.url}/login`)).headers.get("x-request-id");
    const b = (await get(`${instance.url}/login`)).headers.get("x-request-id");
    expect(a).toMatch(uuid);
    expect(b).toMatch(uuid);
    expect(a).not.toBe(b);
    for (const bad of ["two words", "x".repeat(129), "<script>", "a;b"]) {
      const id = (await get(`${instance.url}/login`, { "x-request-id": bad })).headers.get("x-request-id");
      expect(id).toMatch(uuid);
    }
  });

  it("tags services.log lines written while serving a request, on their first line", async () => {
    const res = await get(probeUrl, { "x-request-id": "probe-1" });
    expect(res.status).toBe(200);
    expect(instance.logs).toContain("[probe] one line [request probe-1]");
    expect(instance.logs).toContain("[probe] first line [request probe-1]\n    second line");
    instance.services.log("[probe] outside");
    expect(instance.logs.at(-1)).toBe("[probe] outside");
  });
});
