import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from "node:http";
import type { TRPCError } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { appRouter } from "../routers/_app";
import type { Services } from "../services";
import { createContext } from "../trpc/context";
import { csrfRefusal, isBearerRequest, isJsonRequest } from "./csrf";
import { createExportsHandler, EXPORTS_PATH } from "./exports";
import { createFastQueryHandler } from "./fast-query";
import { createFilesHandler, FILES_PATH } from "./files";
import { createMetricsHandler, isMetricsPath } from "./metrics";
import { requestFacts } from "./request-facts";
import { withRequestId } from "./request-id";
import { answerProbe, noteStorageFull } from "./storage-full";

const TRPC_PATH = "/api/trpc";

function refuse(res: ServerResponse, status: number, message: string) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { message, code: status === 415 ? "UNSUPPORTED_MEDIA_TYPE" : "FORBIDDEN" } }));
}

function securityHeaders(res: ServerResponse, secure: boolean) {
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("X-Frame-Options", "DENY");
  // Emailed links carry tokens in the query string: never leak them to another site as a Referer.
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
  if (secure) res.setHeader("Strict-Transport-Security", "max-age=31536000");
}

/**
 * One Node server, one port: /api/trpc goes straight to tRPC's Node handler (no Remix on the API
 * hot path, see ADR 001); everything else goes to the Remix app.
 */
export function createHttpServer(services: Services, remix?: RequestListener) {
  const { config } = services;
  const trpcOptions = {
    router: appRouter,
    basePath: `${TRPC_PATH}/`,
    createContext: ({ req, res }: { req: IncomingMessage; res: ServerResponse }) =>
      createContext(services, { ...requestFacts(req, res, config), authorization: req.headers.authorization }),
    onError: ({ error, path }: { error: TRPCError; path: string | undefined }) => {
      if (noteStorageFull(services, "trpc", path ?? "?", error)) return;
      if (error.code === "INTERNAL_SERVER_ERROR") services.log(`[trpc] ${path ?? "?"}: ${error.stack ?? error.message}`);
    },
  };
  const trpc = createHTTPHandler(trpcOptions);
  // Single GET queries skip the Fetch API round trip; it hands back everything else (fast-query.ts).
  const fastQuery = createFastQueryHandler(trpcOptions);
  const files = createFilesHandler(services);
  const exportsDownload = createExportsHandler(services);
  const metrics = createMetricsHandler(config);

  const route = (req: IncomingMessage, res: ServerResponse) => {
    securityHeaders(res, config.secureCookies);
    if (isMetricsPath(req.url)) return void metrics(req, res);
    if (req.url === "/healthz" || req.url === "/readyz") return answerProbe(res, services, req.url);
    const isTrpc = req.url === TRPC_PATH || req.url?.startsWith(`${TRPC_PATH}/`) || req.url?.startsWith(`${TRPC_PATH}?`);
    // Streaming uploads and downloads (files.ts): same context, same tenant door, same Origin check.
    const isFiles = req.url?.startsWith(`${FILES_PATH}/`) ?? false;
    // API-token calls carry no cookies that count (createContext ignores them), so no Origin check.
    const refusal = (isTrpc || isFiles) && isBearerRequest(req) ? null : csrfRefusal(req, config);
    if (refusal) return refuse(res, 403, refusal);
    if (isFiles) return void files(req, res);
    // Organisation export downloads (exports.ts): GET only, same context and tenant door.
    if (req.url?.startsWith(`${EXPORTS_PATH}/`)) return void exportsDownload(req, res);
    if (isTrpc) {
      if (req.method === "POST" && !isJsonRequest(req)) return refuse(res, 415, "tRPC mutations accept application/json only.");
      if (fastQuery(req, res)) return;
      return trpc(req, res);
    }
    if (remix) return remix(req, res);
    res.writeHead(404, { "content-type": "text/plain" }).end("Not found");
  };
  const server = createServer((req, res) => withRequestId(req, res, route));
  // Node closes an idle keep-alive connection after 5 s, in the timers phase, which runs before the
  // poll phase: after any stall of the event loop longer than that (a VACUUM, a big report), a request
  // a client had already sent on that connection is dropped with ECONNRESET. Clients and proxies reuse
  // idle connections for up to about a minute, so the server keeps them a little longer than that.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}
