import type { Adapter, DatabaseSession, DatabaseUser } from "lucia";
import type { ControlDb } from "../../db/control/open";
import { compileOnce } from "../../db/sqlite";
import { isStorageFull } from "../storage/storage-full";
import { sha256Hex } from "./tokens";

// Every authenticated request runs this lookup: compiled once, read from the database each time.
const sessionAndUser = compileOnce((db: ControlDb, v: { sessionHash: string }) =>
  db
    .selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .select([
      "sessions.id as session_hash",
      "sessions.user_id",
      "sessions.expires_at",
      "sessions.created_at",
      "sessions.last_seen_at",
      "users.email",
      "users.name",
      "users.email_verified_at",
      "users.is_staff",
    ])
    .where("sessions.id", "=", v.sessionHash),
);

/**
 * Our own Lucia adapter: the table keys sessions by SHA-256 of the id, so a copy of the control
 * database (a backup, a leaked file) holds nothing that works as a cookie.
 */
export class HashedSessionAdapter implements Adapter {
  constructor(private readonly db: ControlDb) {}

  async getSessionAndUser(sessionId: string): Promise<[DatabaseSession | null, DatabaseUser | null]> {
    const row = await sessionAndUser.executeTakeFirst(this.db, { sessionHash: sha256Hex(sessionId) });
    if (!row) return [null, null];
    return [
      {
        id: sessionId,
        userId: row.user_id,
        expiresAt: new Date(row.expires_at),
        attributes: { created_at: row.created_at, last_seen_at: row.last_seen_at, ip: null, user_agent: null },
      },
      {
        id: row.user_id,
        attributes: { email: row.email, name: row.name, email_verified_at: row.email_verified_at, is_staff: row.is_staff },
      },
    ];
  }

  /** Ids here are the stored hashes: the raw ids exist only in their owners' cookies. */
  async getUserSessions(userId: string): Promise<DatabaseSession[]> {
    const rows = await this.db.selectFrom("sessions").selectAll().where("user_id", "=", userId).execute();
    return rows.map((r) => ({
      id: r.id,
      userId: r.user_id,
      expiresAt: new Date(r.expires_at),
      attributes: { created_at: r.created_at, last_seen_at: r.last_seen_at, ip: r.ip, user_agent: r.user_agent },
    }));
  }

  async setSession(session: DatabaseSession): Promise<void> {
    const a = session.attributes;
    await this.db
      .insertInto("sessions")
      .values({
        id: sha256Hex(session.id),
        user_id: session.userId,
        expires_at: session.expiresAt.getTime(),
        created_at: a.created_at,
        last_seen_at: a.last_seen_at,
        ip: a.ip,
        user_agent: a.user_agent,
      })
      .execute();
  }

  async updateSessionExpiration(sessionId: string, expiresAt: Date): Promise<void> {
    try {
      await this.db
        .updateTable("sessions")
        .set({ expires_at: expiresAt.getTime(), last_seen_at: Date.now() })
        .where("id", "=", sha256Hex(sessionId))
        .execute();
    } catch (error) {
      // Sliding expiry is a courtesy: with the disk full the session keeps its old expiry, and the
      // request (often a read) goes on instead of failing on this write.
      if (!isStorageFull(error)) throw error;
    }
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.db.deleteFrom("sessions").where("id", "=", sha256Hex(sessionId)).execute();
  }

  async deleteUserSessions(userId: string): Promise<void> {
    await this.db.deleteFrom("sessions").where("user_id", "=", userId).execute();
  }

  async deleteExpiredSessions(): Promise<void> {
    await this.db.deleteFrom("sessions").where("expires_at", "<=", Date.now()).execute();
  }
}
