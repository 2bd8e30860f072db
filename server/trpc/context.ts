import { parse } from "cookie";
import { bearerToken, resolveApiToken, type ApiViewer } from "../auth/api-tokens";
import { resolveSession, type RequestInfo, type Viewer } from "../auth/session";
import type { Services } from "../services";

export interface Context {
  services: Services;
  info: RequestInfo;
  /** Where links in emails point: APP_URL, or the origin this request came to. */
  origin: string;
  /** A browser session (cookie). Always null on a Bearer request. */
  viewer: Viewer | null;
  /**
   * A live API token (`Authorization: Bearer opl_…`, tRPC over HTTP only). Only the tenant door
   * admits it; every other procedure refuses a Bearer request, valid or not (see procedures.ts).
   */
  api?: ApiViewer | null;
  /** The request presented an Authorization header (live token or not): cookies were ignored. */
  bearer?: boolean;
  /** The request's cookies, parsed once; the session cookie is already resolved into `viewer`. */
  cookies: Record<string, string | undefined>;
  setCookie: (cookie: string) => void;
  /** Sets a header on the response while it can still be set (Retry-After on a 503); a no-op for a server-side caller without one. */
  setHeader?: (name: string, value: string) => void;
}

export interface RequestFacts {
  cookieHeader: string | undefined;
  /** The Authorization header; only the tRPC HTTP door passes it (Remix pages are for browsers). */
  authorization?: string | undefined;
  info: RequestInfo;
  origin: string;
  setCookie: (cookie: string) => void;
  setHeader?: (name: string, value: string) => void;
}

/** One context factory for both doors: tRPC over HTTP and the Remix server-side caller. */
export async function createContext(services: Services, facts: RequestFacts): Promise<Context> {
  // A Bearer request is an API call: its cookies are ignored altogether, so an ambient session can
  // never ride along with it (that is what lets csrf.ts skip the Origin check for these requests).
  if (facts.authorization !== undefined) {
    const token = bearerToken(facts.authorization);
    return {
      services,
      info: facts.info,
      origin: services.config.appUrl ?? facts.origin,
      viewer: null,
      api: token ? await resolveApiToken(services, token) : null,
      bearer: true,
      cookies: {},
      setCookie: () => {},
      setHeader: facts.setHeader,
    };
  }
  // Parsed once: the session cookie and the support cookies all come from this map.
  const cookies = facts.cookieHeader ? parse(facts.cookieHeader) : {};
  const viewer = await resolveSession(services, cookies[services.auth.sessionCookieName], facts.setCookie);
  return {
    services,
    info: facts.info,
    origin: services.config.appUrl ?? facts.origin,
    viewer,
    api: null,
    bearer: false,
    cookies,
    setCookie: facts.setCookie,
    setHeader: facts.setHeader,
  };
}
