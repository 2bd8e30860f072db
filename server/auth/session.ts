import type { Session, User } from "lucia";
import type { Services } from "../services";
import { sha256Hex } from "./tokens";

// "Last seen" for the sessions list; per request it would turn every read into a write.
const LAST_SEEN_GRANULARITY_MS = 5 * 60_000;

export interface RequestInfo {
  ip: string;
  userAgent: string | null;
}

export interface Viewer {
  session: Session;
  user: User;
}

/**
 * Takes the session cookie's value, enforces the absolute lifetime that Lucia lacks, and hands back any
 * cookie to set (renewed, or blank when the cookie no longer names a live session).
 */
export async function resolveSession(
  services: Services,
  sessionId: string | undefined,
  setCookie: (cookie: string) => void,
): Promise<Viewer | null> {
  const { auth, config, clock } = services;
  if (!sessionId) return null;
  const { session, user } = await auth.validateSession(sessionId);
  if (!session || !user) {
    setCookie(auth.createBlankSessionCookie().serialize());
    return null;
  }
  if (clock.now() - session.createdAt >= config.sessionAbsoluteMs) {
    await auth.invalidateSession(session.id);
    setCookie(auth.createBlankSessionCookie().serialize());
    return null;
  }
  if (session.fresh) setCookie(auth.createSessionCookie(session.id).serialize());
  else if (clock.now() - session.lastSeenAt > LAST_SEEN_GRANULARITY_MS) {
    try {
      await services.control.updateTable("sessions").set({ last_seen_at: clock.now() }).where("id", "=", sha256Hex(session.id)).execute();
    } catch (error) {
      // "Last seen" is bookkeeping: with the disk full, reads must keep working without it.
      if (!services.disk.noteError(error)) throw error;
    }
  }
  return { session, user };
}

export async function startSession(services: Services, userId: string, info: RequestInfo) {
  const now = services.clock.now();
  const session = await services.auth.createSession(userId, {
    created_at: now,
    last_seen_at: now,
    ip: info.ip,
    user_agent: info.userAgent?.slice(0, 300) ?? null,
  });
  return services.auth.createSessionCookie(session.id).serialize();
}
