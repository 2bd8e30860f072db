import { serialize } from "cookie";
import type { Config } from "../config";

/**
 * Two cookies of our own beside the session: the link token waiting for the staff member's
 * confirmation (minutes), and the support session it becomes (until the grant ends).
 * Both HttpOnly, and __Host- prefixed over https like the session cookie.
 */
export function supportCookieNames(config: Config) {
  const prefix = config.secureCookies ? "__Host-" : "";
  return { pending: `${prefix}opslayer_support_link`, session: `${prefix}opslayer_support` };
}

export function supportCookie(config: Config, name: string, value: string, maxAgeSeconds: number) {
  return serialize(name, value, {
    httpOnly: true,
    sameSite: "lax",
    secure: config.secureCookies,
    path: "/",
    maxAge: Math.max(0, Math.floor(maxAgeSeconds)),
  });
}
