import type { ControlDb } from "../../db/control/open";

/** Deletes sessions and emailed tokens past their expiry. Runs hourly in the server and from the CLI. */
export async function purgeExpired(control: ControlDb, now: number) {
  const sessions = await control.deleteFrom("sessions").where("expires_at", "<=", now).executeTakeFirst();
  const tokens = await control.deleteFrom("email_tokens").where("expires_at", "<=", now).executeTakeFirst();
  return { sessions: Number(sessions.numDeletedRows), tokens: Number(tokens.numDeletedRows) };
}
