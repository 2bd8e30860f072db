import { parse } from "cookie";
import { resolveSession, type RequestInfo, type Viewer } from "../auth/session";
import type { Services } from "../services";

export interface Context {
  services: Services;
  info: RequestInfo;
  /** Where links in emails point: APP_URL, or the origin this request came to. */
  origin: string;
  viewer: Viewer | null;
  /** The request's cookies, parsed once; the session cookie is already resolved into `viewer`. */
  cookies: Record<string, string | undefined>;
  setCookie(cookie: string): void;
}

export interface RequestFacts {
  cookieHeader: string | undefined;
  info: RequestInfo;
  origin: string;
  setCookie(cookie: string): void;
}

/** One context factory for both doors: tRPC over HTTP and the Remix server-side caller. */
export async function createContext(services: Services, facts: RequestFacts): Promise<Context> {
  // Parsed once: the session cookie and the support cookies all come from this map.
  const cookies = facts.cookieHeader ? parse(facts.cookieHeader) : {};
  const viewer = await resolveSession(services, cookies[services.auth.sessionCookieName], facts.setCookie);
  return {
    services,
    info: facts.info,
    origin: services.config.appUrl ?? facts.origin,
    viewer,
    cookies,
    setCookie: facts.setCookie,
  };
}
