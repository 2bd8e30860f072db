import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config";
import type { RequestFacts } from "../trpc/context";

export function clientIp(req: IncomingMessage, config: Config): string {
  if (config.trustProxy) {
    // The proxy appends the address it saw; earlier entries are whatever the client claimed.
    const forwarded = req.headers["x-forwarded-for"];
    const last = (Array.isArray(forwarded) ? forwarded.join(",") : forwarded)?.split(",").pop()?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? "unknown";
}

export function requestOrigin(req: IncomingMessage, config: Config): string {
  if (config.appUrl) return config.appUrl;
  const proto = config.trustProxy && req.headers["x-forwarded-proto"] === "https" ? "https" : "http";
  return `${proto}://${req.headers.host ?? `localhost:${config.port}`}`;
}

/** Everything both doors (tRPC, Remix) need from a Node request; cookies go straight onto the response. */
export function requestFacts(req: IncomingMessage, res: ServerResponse, config: Config): RequestFacts {
  return {
    cookieHeader: req.headers.cookie,
    info: { ip: clientIp(req, config), userAgent: req.headers["user-agent"] ?? null },
    origin: requestOrigin(req, config),
    setCookie: (cookie) => {
      if (!res.headersSent) res.appendHeader("Set-Cookie", cookie);
    },
    setHeader: (name, value) => {
      if (!res.headersSent) res.setHeader(name, value);
    },
  };
}
