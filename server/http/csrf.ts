import type { IncomingMessage } from "node:http";
import type { Config } from "../config";
import { requestOrigin } from "./request-facts";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * CSRF choke point for every non-GET request: a browser always sends Origin (or at least
 * Sec-Fetch-Site) on a cross-site POST, so one of them must say "this site". A request with
 * neither comes from no browser and carries no ambient cookie risk, but we refuse it anyway:
 * our own clients always send Origin.
 */
export function csrfRefusal(req: IncomingMessage, config: Config): string | null {
  if (SAFE.has(req.method ?? "GET")) return null;
  const origin = req.headers.origin;
  if (origin) return origin === requestOrigin(req, config) ? null : "Cross-origin request refused.";
  const site = req.headers["sec-fetch-site"];
  if (site === "same-origin" || site === "none") return null;
  return "Request refused: missing Origin header.";
}

/** tRPC mutations take JSON only: a form post from another site cannot be JSON without a preflight. */
export function isJsonRequest(req: IncomingMessage) {
  return (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() === "application/json";
}
