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

/**
 * An API-token call (tRPC only): `Authorization: Bearer …`. It needs no Origin check, because
 * - a browser never attaches an Authorization header by itself; a cross-site page can set one only
 *   through fetch with a CORS preflight, which this server never answers, so the call is not sent;
 * - on such a request the tRPC context ignores every cookie (no session, no support cookie), so a
 *   forged or invalid Bearer header cannot smuggle the victim's session past this check; it is
 *   simply an unauthenticated call.
 * Mutations must still be application/json. Remix pages keep the Origin check whatever the headers.
 */
export function isBearerRequest(req: IncomingMessage) {
  return /^Bearer\s/i.test(req.headers.authorization ?? "");
}
