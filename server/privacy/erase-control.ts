import { sql, type Transaction } from "kysely";
import type { ControlDb } from "../../db/control/open";
import type { ControlDB } from "../../db/control/schema";
import { conflict } from "../trpc/errors";
import { CONTROL_TARGET, queueCompaction } from "./compaction";
import { linkedTenantIds } from "./links";
import { pseudonymEmail } from "./pseudonym";

export const LATE_LINK_MESSAGE =
  "You were added to an organisation while your account was being deleted. Log in and delete your account again to finish.";

/** Kept after the unusable hash: argon2 cannot parse it, so every password check fails. */
const UNUSABLE_PASSWORD_HASH = "!deleted";

/**
 * The control DB's part of a deletion, by id: the users row keeps only the pseudonym, sessions,
 * emailed tokens, API tokens, memberships and support sessions go, invitations it accepted go, and
 * its security log rows lose email, IP and browser (the events and times stay for the log's own
 * retention window). Where the address is proven theirs (`provenEmail`), pending invitations to it
 * go too, and so does the address on login attempts made against it by anyone.
 */
export async function eraseFromControl(
  trx: Transaction<ControlDB>,
  p: {
    userId: string;
    pseudonym: string;
    provenEmail: string | null;
    now: number;
    actor: "self" | "operator";
    considered: ReadonlySet<string>;
  },
) {
  const { userId, pseudonym, provenEmail, now } = p;
  // Checked again inside the write lock: a link made after the last round would otherwise lose its
  // membership here while its file keeps their name.
  if ([...(await linkedTenantIds(trx, userId))].some((id) => !p.considered.has(id))) throw conflict(LATE_LINK_MESSAGE);
  await trx
    .updateTable("users")
    .set({
      name: pseudonym,
      email: pseudonymEmail(pseudonym),
      password_hash: UNUSABLE_PASSWORD_HASH,
      is_staff: 0,
      deleted_at: now,
      pseudonym,
      updated_at: now,
    })
    .where("id", "=", userId)
    .execute();
  await trx.deleteFrom("sessions").where("user_id", "=", userId).execute();
  await trx.deleteFrom("email_tokens").where("user_id", "=", userId).execute();
  await trx.deleteFrom("api_tokens").where("user_id", "=", userId).execute();
  await trx.deleteFrom("memberships").where("user_id", "=", userId).execute();
  await trx.deleteFrom("support_sessions").where("staff_user_id", "=", userId).execute();
  await trx.deleteFrom("invitations").where("accepted_by", "=", userId).execute();
  await trx.updateTable("security_log").set({ email: null, ip: null, user_agent: null }).where("user_id", "=", userId).execute();
  if (provenEmail !== null) {
    // Pending ones would let the address join again.
    await trx
      .deleteFrom("invitations")
      .where(sql<string>`unicode_lower(email)`, "=", provenEmail)
      .execute();
    // Attempts on their address by anyone (user_id unknown then): the address goes, the attempt stays.
    await trx
      .updateTable("security_log")
      .set({ email: null })
      .where(sql<string>`unicode_lower(email)`, "=", provenEmail)
      .execute();
  }
  await recordDeletion(trx, userId, now, { pseudonym, by: p.actor });
}

/** The one security-log event a deletion leaves: who it was only by id, and no address, IP or browser. */
function recordDeletion(trx: Transaction<ControlDB>, userId: string, now: number, detail: Record<string, string>) {
  return trx
    .insertInto("security_log")
    .values({ at: now, event: "account.deleted", user_id: userId, email: null, ip: null, user_agent: null, detail: JSON.stringify(detail) })
    .execute();
}

/**
 * An account whose address was never confirmed owns nothing: no organisation can hold it (the door,
 * organisation creation and invitations all want a confirmed address first), so deleting it removes
 * its row and everything hanging off it (sessions, tokens, by foreign key) from the control DB, and
 * opens no organisation file. Its address is not proven to be its own, so invitations to that
 * address and others' attempts on it are left alone. Returns false, changing nothing, when the
 * account was confirmed or linked to an organisation meanwhile.
 */
export async function removeUnconfirmedAccount(control: ControlDb, userId: string, now: number, actor: "self" | "operator") {
  return control.transaction().execute(async (trx) => {
    const user = await trx.selectFrom("users").select(["email_verified_at"]).where("id", "=", userId).executeTakeFirst();
    if (!user || user.email_verified_at !== null || (await linkedTenantIds(trx, userId)).size > 0) return false;
    await trx.deleteFrom("sessions").where("user_id", "=", userId).execute();
    await trx.deleteFrom("email_tokens").where("user_id", "=", userId).execute();
    await trx.deleteFrom("api_tokens").where("user_id", "=", userId).execute();
    await trx.deleteFrom("support_sessions").where("staff_user_id", "=", userId).execute();
    await trx.deleteFrom("users").where("id", "=", userId).execute();
    await trx.updateTable("security_log").set({ email: null, ip: null, user_agent: null }).where("user_id", "=", userId).execute();
    await recordDeletion(trx, userId, now, { removed: "unconfirmed", by: actor });
    await queueCompaction(trx, [CONTROL_TARGET], now);
    return true;
  });
}
