import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { Config } from "../config";
import { RESTARTS_ENV } from "../process/supervisor";
import { requestsInFlight } from "./request-id";

export const METRICS_PATH = "/metrics";

export const isMetricsPath = (url: string | undefined) => url === METRICS_PATH || (url?.startsWith(`${METRICS_PATH}?`) ?? false);

// Anyone on a host whose proxy runs on the same machine arrives from loopback: a forwarding header
// says the request came from further away.
const FORWARDING_HEADERS = ["forwarded", "x-forwarded-for", "x-real-ip"];

/** Null when the caller may read the metrics, else the status and the sentence to answer. */
export function metricsRefusal(req: IncomingMessage, config: Config): [number, string] | null {
  if (config.metricsToken) {
    const presented = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
    // Digests first: timingSafeEqual needs equal lengths, and the token's length must not leak either.
    const digest = (value: string) => createHash("sha256").update(value).digest();
    return timingSafeEqual(digest(presented), digest(config.metricsToken))
      ? null
      : [401, "Metrics need the METRICS_TOKEN as a Bearer token."];
  }
  const address = req.socket.remoteAddress ?? "";
  const loopback = address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
  if (loopback && !FORWARDING_HEADERS.some((name) => name in req.headers)) return null;
  return [403, "Metrics are served to loopback clients only; set METRICS_TOKEN to scrape them from elsewhere."];
}

function createRegistry() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const restarts = new Counter({
    name: "opslayer_worker_restarts_total",
    help: "Times the supervisor restarted the server process after it died, since the supervisor started.",
    registers: [registry],
  });
  const given = Number(process.env[RESTARTS_ENV] ?? 0);
  if (Number.isSafeInteger(given) && given > 0) restarts.inc(given);
  new Gauge({
    name: "opslayer_worker_start_time_seconds",
    help: "When this server process started, in seconds since the Unix epoch.",
    registers: [registry],
  }).set(Math.round(Date.now() / 1000 - process.uptime()));
  new Gauge({
    name: "opslayer_http_requests_in_flight",
    help: "HTTP requests received and not yet answered.",
    registers: [registry],
    collect() {
      this.set(requestsInFlight().length);
    },
  });
  return registry;
}

/** GET /metrics in the Prometheus text format. The registry is made on the first scrape, so servers never scraped pay nothing. */
export function createMetricsHandler(config: Config) {
  let registry: Registry | undefined;
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" }).end("Metrics are read with GET.\n");
      return;
    }
    const refusal = metricsRefusal(req, config);
    if (refusal) {
      const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
      if (refusal[0] === 401) headers["www-authenticate"] = 'Bearer realm="metrics"';
      res.writeHead(refusal[0], headers).end(`${refusal[1]}\n`);
      return;
    }
    registry ??= createRegistry();
    try {
      const body = await registry.metrics();
      res
        .writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" })
        .end(req.method === "HEAD" ? undefined : body);
    } catch (error) {
      res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("Metrics could not be collected.\n");
      console.error(`[metrics] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  };
}
