import { createHash } from "node:crypto";
import type { ControlDb } from "../../db/control/open";

const PREFIX = "deleted-user-";
/** Four hex characters read well in a list; more are taken only when two accounts would collide. */
const SHORTEST = 4;

/** The address a deleted account keeps: users.email is NOT NULL UNIQUE, and .invalid never delivers. */
export function pseudonymEmail(pseudonym: string) {
  return `${pseudonym}@deleted.invalid`;
}

/**
 * The name a deleted account's records show from now on. Derived from the user id, so a retried
 * deletion (or the same account seen in another organisation's file) gets the same one; lengthened
 * one character at a time while another account already holds it.
 */
export async function pseudonymFor(control: ControlDb, userId: string): Promise<string> {
  const existing = await control.selectFrom("users").select("pseudonym").where("id", "=", userId).executeTakeFirst();
  if (existing?.pseudonym) return existing.pseudonym;
  const hex = createHash("sha256").update(userId).digest("hex");
  for (let length = SHORTEST; length <= hex.length; length++) {
    const candidate = PREFIX + hex.slice(0, length);
    const taken = await control
      .selectFrom("users")
      .select("id")
      .where("id", "!=", userId)
      .where((eb) => eb.or([eb("pseudonym", "=", candidate), eb("name", "=", candidate), eb("email", "=", pseudonymEmail(candidate))]))
      .executeTakeFirst();
    if (!taken) return candidate;
  }
  throw new Error(`no free pseudonym for ${userId}`);
}
