import { Lucia, TimeSpan } from "lucia";
import type { Config } from "../config";
import type { ControlDb } from "../../db/control/open";
import { HashedSessionAdapter } from "./session-adapter";

export function createLucia(db: ControlDb, config: Config) {
  return new Lucia(new HashedSessionAdapter(db), {
    // Idle expiry; Lucia slides it forward once half of it has passed. The absolute cap is ours (session.ts).
    sessionExpiresIn: new TimeSpan(Math.round(config.sessionIdleMs / 1000), "s"),
    sessionCookie: {
      name: config.secureCookies ? "__Host-opslayer_session" : "opslayer_session",
      expires: true,
      attributes: { secure: config.secureCookies, sameSite: "lax", path: "/" },
    },
    getSessionAttributes: (a) => ({ createdAt: a.created_at, lastSeenAt: a.last_seen_at }),
    getUserAttributes: (a) => ({
      email: a.email,
      name: a.name,
      emailVerified: a.email_verified_at !== null,
      isStaff: a.is_staff === 1,
    }),
  });
}

export type Auth = ReturnType<typeof createLucia>;

declare module "lucia" {
  interface Register {
    Lucia: Auth;
    DatabaseSessionAttributes: {
      created_at: number;
      last_seen_at: number;
      ip: string | null;
      user_agent: string | null;
    };
    DatabaseUserAttributes: {
      email: string;
      name: string;
      email_verified_at: number | null;
      is_staff: number;
    };
  }
}
