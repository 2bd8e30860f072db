import { existsSync } from "node:fs";
import { sql, type Kysely, type Transaction } from "kysely";
import type { ControlDb } from "../../db/control/open";
import type { ControlDB } from "../../db/control/schema";
import { tenantFilePath } from "../../db/tenant/paths";
import type { TenantDB } from "../../db/tenant/schema";
import type { RequestInfo } from "../auth/session";
import type { Services } from "../services";
import { conflict, notFound } from "../trpc/errors";
import { pseudonymEmail, pseudonymFor } from "./pseudonym";
import { exportsBeforeErasure, expireExportsBefore, type ExportRef } from "./expire-exports";
import { linkedTenantIds, revokeAccess } from "./links";
import { eraseInFile, fileContains, Replacer, scrubAllText, withTriggersSuspended, type Person } from "./scrub";

/**
 * The role a deleted person's member row keeps. It names no built-in or custom role, so it grants
 * nothing (and the door wants a control membership first, which is gone); it is not "owner", so the
 * last-owner rule counts only real people.
 */
export const DELETED_MEMBER_ROLE = "deleted";

/** Tables that copy who someone is: a one-word name is replaced there too (see Replacer). */
const TENANT_TABLES = { identity: new Set(["audit_log", "webhook_deliveries"]), people: "members" };
const CONTROL_TABLES = { identity: new Set(["security_log", "invitations", "support_grants"]), people: "users" };

/**
 * Rounds of "erase what was linked since" before giving up. Access ends before the first file is
 * rewritten, so only requests already in flight can add links; more than a few rounds means
 * something keeps adding them, and a retry is the safer answer.
 */
const LATE_LINK_ROUNDS = 3;
const LATE_LINK_MESSAGE =
  "You were added to an organisation while your account was being deleted. Log in and delete your account again to finish.";

/** Kept after the unusable hash: argon2 cannot parse it, so every password check fails. */
const UNUSABLE_PASSWORD_HASH = "!deleted";

export interface DeleteAccountOptions {
  /** "self": from the account page, after the password was checked; "operator": the CLI. */
  actor?: "self" | "operator";
}

export interface DeleteAccountResult {
  userId: string;
  pseudonym: string;
  /** Organisation files rewritten. */
  organisations: number;
  /** Files whose WAL could not be emptied (another process had them open); see the server log. */
  walNotTruncated: string[];
}

type Tenant = { id: string; slug: string; name: string; status: string; purge_after: number | null };

/**
 * Deletes an account (ADR 009). Their name, email and password hash go; their sessions,
 * tokens and pending invitations go; what they did stays, under a pseudonym:
 * - in each organisation file their member row becomes the pseudonym with role "deleted" (so
 *   audit rows, comments, time and reports still resolve to a name, and nobody mistakes it for a
 *   person), personal shares and task assignments go, a running timer is stopped, the IP and
 *   browser of the audit rows they made are dropped, and every copy of their email (and name) in
 *   any text is replaced;
 * - in the control DB the users row keeps only the pseudonym, their security log rows lose IP,
 *   browser and email, and one "account.deleted" event records the pseudonym only.
 *
 * Refused (nothing changed) while they are the last owner of an active or closed organisation: a
 * closed one can still be restored during its grace period, which needs an owner.
 *
 * Access ends first (sessions, API tokens, support sessions, pending invitations: revokeAccess), so
 * nothing the person does can add to what is being erased; organisations linked by requests already
 * in flight are erased in a few more rounds. Then files are written tenant first, control last,
 * each idempotently: a crash midway leaves the account able to log in again, and running the
 * deletion again completes it. Organisation exports made before go (expireExportsBefore).
 * The last-owner rule is checked for every organisation before anything is written, and again
 * inside each file's write lock (an owner who left in between); that second refusal can leave the
 * files already rewritten as they are, which a later retry completes.
 *
 * Cost: every organisation file not linked to the person is read once, raw, to find stray copies
 * of their email; each rewritten file is VACUUMed, which blocks this process for as long as a copy
 * of that file takes. Account deletion is rare; both are the price of "no copy left in any file".
 */
export async function deleteAccount(
  services: Services,
  userId: string,
  info: RequestInfo,
  opts: DeleteAccountOptions = {},
): Promise<DeleteAccountResult> {
  const { control, clock } = services;
  const user = await control
    .selectFrom("users")
    .select(["id", "name", "email", "deleted_at", "pseudonym"])
    .where("id", "=", userId)
    .executeTakeFirst();
  if (!user) throw notFound("Account");
  if (user.deleted_at !== null && user.pseudonym) return { userId, pseudonym: user.pseudonym, organisations: 0, walNotTruncated: [] };

  const memberOf = await control
    .selectFrom("memberships")
    .innerJoin("tenants", "tenants.id", "memberships.tenant_id")
    .select(["tenants.id", "tenants.slug", "tenants.name", "tenants.status", "tenants.purge_after"])
    .where("memberships.user_id", "=", userId)
    .where("tenants.status", "in", ["active", "closed"])
    .execute();
  const lastOwnerOf = await organisationsWhereLastOwner(services, userId, memberOf);
  if (lastOwnerOf.length) throw conflict(lastOwnerMessage(lastOwnerOf));

  const pseudonym = await pseudonymFor(control, userId);
  const person: Person = { email: user.email, name: user.name, pseudonym, pseudonymEmail: pseudonymEmail(pseudonym) };
  const replacer = new Replacer(person);
  const now = clock.now();
  const walNotTruncated: string[] = [];
  // Linked organisations already dealt with (erased, or without a file to erase).
  const considered = new Set<string>();
  let erased = 0;
  const exports: ExportRef[] = [];

  const erase = async (tenant: Tenant, how: Replacer) => {
    erased++;
    exports.push(...(await exportsBeforeErasure(control, tenant.id)));
    const lease = await services.pool.acquire(tenant.id);
    try {
      const result = await eraseInFile(lease.db, (trx) => eraseFromTenant(trx, tenant, userId, how, now));
      if (!result.walTruncated) walNotTruncated.push(tenant.id);
    } finally {
      lease.release();
    }
  };

  const linked = await revokeAccess(control, userId, replacer.email);
  linked.forEach((id) => considered.add(id));
  for (const { tenant, isLinked } of await tenantsToErase(services, linked, replacer)) {
    await erase(tenant, isLinked ? replacer : replacer.emailOnly());
  }
  // A request already past the door when access ended (accepting an invitation, creating an
  // organisation) can link them to an organisation the loop above did not cover.
  for (let round = 0; ; round++) {
    const late = [...(await linkedTenantIds(control, userId, replacer.email))].filter((id) => !considered.has(id));
    if (!late.length) break;
    if (round === LATE_LINK_ROUNDS) throw conflict(LATE_LINK_MESSAGE);
    for (const tenant of await tenantsWithFiles(services, late)) await erase(tenant, replacer);
    late.forEach((id) => considered.add(id));
  }
  await expireExportsBefore(services, exports);

  const result = await eraseInFile(control, (trx) =>
    eraseFromControl(trx, userId, person, replacer, now, opts.actor ?? "self", considered),
  );
  if (!result.walTruncated) walNotTruncated.push("control");
  if (walNotTruncated.length)
    services.log(
      `[privacy] account deletion of ${pseudonym}: WAL still holds old pages of ${walNotTruncated.join(", ")} (file open elsewhere); it empties at the next checkpoint`,
    );
  return { userId, pseudonym, organisations: erased, walNotTruncated };
}

/** Organisations (active or closed) where this person is the only member with the owner role. */
export async function organisationsWhereLastOwner(services: Services, userId: string, memberOf: Tenant[]): Promise<Tenant[]> {
  const found: Tenant[] = [];
  for (const tenant of memberOf) {
    const lease = await services.pool.acquire(tenant.id);
    try {
      if (await isLastOwner(lease.db, userId)) found.push(tenant);
    } finally {
      lease.release();
    }
  }
  return found;
}

async function isLastOwner(db: Pick<Transaction<TenantDB>, "selectFrom">, userId: string) {
  const owners = await db.selectFrom("members").select("user_id").where("role", "=", "owner").execute();
  return owners.length === 1 && owners[0]!.user_id === userId;
}

/** Names every organisation in the way, so the person knows exactly what to do first. */
export function lastOwnerMessage(orgs: Pick<Tenant, "name" | "slug" | "status" | "purge_after">[]) {
  const names = orgs
    .map((o) =>
      o.status === "closed" && o.purge_after
        ? `${o.name} (${o.slug}; closed, restorable until ${new Date(o.purge_after).toISOString().slice(0, 10)})`
        : `${o.name} (${o.slug})`,
    )
    .join(", ");
  const closed = orgs.some((o) => o.status === "closed");
  return (
    `You are the last owner of ${names}. Make someone else an owner there before deleting your account.` +
    (closed ? " A closed organisation still needs its owner until its grace period ends and its data is destroyed." : "")
  );
}

/**
 * Every organisation file that may hold this person: those linked to them (see linkedTenantIds),
 * where their name is replaced too, and any other whose bytes contain their email (a client contact,
 * a member who left long ago named in an audit detail or in free pages), where only the email is:
 * a full name found in an unrelated organisation is as likely someone else's (a client called
 * John Smith), and there it may sit in issued invoices.
 */
async function tenantsToErase(
  services: Services,
  linked: ReadonlySet<string>,
  replacer: Replacer,
): Promise<{ tenant: Tenant; isLinked: boolean }[]> {
  const all = await services.control
    .selectFrom("tenants")
    .select(["id", "slug", "name", "status", "purge_after"])
    .where("status", "in", ["active", "closed"])
    .orderBy("id")
    .execute();
  const needles = replacer.emailOnly().rawNeedles();
  const chosen: { tenant: Tenant; isLinked: boolean }[] = [];
  for (const tenant of all) {
    const file = tenantFilePath(services.config.dataDir, tenant.id);
    if (!existsSync(file)) continue;
    if (linked.has(tenant.id)) chosen.push({ tenant, isLinked: true });
    else if ((await fileContains(file, needles)) || (await fileContains(`${file}-wal`, needles))) chosen.push({ tenant, isLinked: false });
  }
  return chosen;
}

/** These organisations, those with a file (one without holds nothing to erase). */
async function tenantsWithFiles(services: Services, ids: string[]): Promise<Tenant[]> {
  const rows = await services.control
    .selectFrom("tenants")
    .select(["id", "slug", "name", "status", "purge_after"])
    .where("id", "in", ids)
    .orderBy("id")
    .execute();
  return rows.filter((t) => existsSync(tenantFilePath(services.config.dataDir, t.id)));
}

async function eraseFromTenant(
  trx: Transaction<TenantDB>,
  tenant: Pick<Tenant, "name" | "slug">,
  userId: string,
  replacer: Replacer,
  now: number,
  ownerCheck = true,
) {
  const { pseudonym, pseudonymEmail: email } = replacer.person;
  const member = await trx.selectFrom("members").select(["role"]).where("user_id", "=", userId).executeTakeFirst();
  // Checked again inside the write lock: an owner who left after the first check must not leave the
  // organisation without any owner.
  if (ownerCheck && member && (await isLastOwner(trx, userId))) {
    throw conflict(
      `You are the last owner of ${tenant.name} (${tenant.slug}). Make someone else an owner there before deleting your account.`,
    );
  }
  if (member) {
    await trx
      .updateTable("members")
      .set({ name: pseudonym, email, role: DELETED_MEMBER_ROLE, client_id: null, digest_opt_in: 0, digest_sent_on: null })
      .where("user_id", "=", userId)
      .execute();
    const already = await trx
      .selectFrom("audit_log")
      .select("id")
      .where("action", "=", "member.account_deleted")
      .where("target_id", "=", userId)
      .executeTakeFirst();
    if (!already) {
      // A system row: the IP of whoever pressed the button would be the person's again.
      await trx
        .insertInto("audit_log")
        .values({
          at: now,
          actor_kind: "system",
          actor_id: null,
          ip: null,
          user_agent: null,
          action: "member.account_deleted",
          target_type: "member",
          target_id: userId,
          detail: JSON.stringify({ pseudonym }),
        })
        .execute();
    }
  }
  await trx.deleteFrom("project_shares").where("subject_kind", "=", "member").where("subject_id", "=", userId).execute();
  await trx.deleteFrom("task_assignees").where("user_id", "=", userId).execute();
  // A timer nobody can stop any more: the time until now is kept, like any stopped timer.
  await trx
    .updateTable("time_entries")
    .set({ ended_at: now, duration_seconds: sql<number>`cast(max(0, (${now} - started_at) / 1000) as integer)`, updated_at: now })
    .where("member_id", "=", userId)
    .where("ended_at", "is", null)
    .execute();
  // Usage stays (what was done, when); where it was done from and with which browser was theirs.
  const traced = await sql<{
    rid: number;
  }>`select rowid as rid from audit_log where actor_id = ${userId} and (ip is not null or user_agent is not null)`.execute(trx);
  if (traced.rows.length) {
    await withTriggersSuspended(trx, "audit_log", async () => {
      await trx.updateTable("audit_log").set({ ip: null, user_agent: null }).where("actor_id", "=", userId).execute();
    });
  }
  await scrubAllText(trx, replacer, TENANT_TABLES);
}

/**
 * An organisation file restored from a backup taken before some of its members deleted their
 * accounts holds them again, by name and email. This applies those deletions to the file once more
 * (ADR 009), reading each person's old name and email from their own member row in the restored
 * file, since the control DB no longer has them. The deletion stands even where the backup still
 * made the person its only owner: the restore then reports the organisation as ownerless. People
 * who had left the organisation before the backup have no member row and are not found here.
 * Returns the pseudonyms applied.
 */
export async function reapplyDeletions(
  control: ControlDb,
  db: Kysely<TenantDB>,
  tenant: Pick<Tenant, "name" | "slug">,
  now: number,
): Promise<string[]> {
  const deleted = await control
    .selectFrom("users")
    .select(["id", "pseudonym"])
    .where("deleted_at", "is not", null)
    .where("pseudonym", "is not", null)
    .execute();
  if (!deleted.length) return [];
  const pseudonyms = new Map(deleted.map((u) => [u.id, u.pseudonym!]));
  const members = await db.selectFrom("members").select(["user_id", "name", "email"]).where("role", "!=", DELETED_MEMBER_ROLE).execute();
  const applied: string[] = [];
  for (const m of members) {
    const pseudonym = pseudonyms.get(m.user_id);
    if (!pseudonym) continue;
    const replacer = new Replacer({ email: m.email, name: m.name, pseudonym, pseudonymEmail: pseudonymEmail(pseudonym) });
    await eraseInFile(db, (trx) => eraseFromTenant(trx, tenant, m.user_id, replacer, now, false));
    applied.push(pseudonym);
  }
  return applied;
}

async function eraseFromControl(
  trx: Transaction<ControlDB>,
  userId: string,
  person: Person,
  replacer: Replacer,
  now: number,
  actor: "self" | "operator",
  considered: ReadonlySet<string>,
) {
  const email = replacer.email;
  // Checked again inside the write lock: a link made after the last round would otherwise lose its
  // membership here while its file keeps their name.
  if ([...(await linkedTenantIds(trx, userId, email))].some((id) => !considered.has(id))) throw conflict(LATE_LINK_MESSAGE);
  await trx
    .updateTable("users")
    .set({
      name: person.pseudonym,
      email: person.pseudonymEmail,
      password_hash: UNUSABLE_PASSWORD_HASH,
      is_staff: 0,
      deleted_at: now,
      pseudonym: person.pseudonym,
      updated_at: now,
    })
    .where("id", "=", userId)
    .execute();
  await trx.deleteFrom("sessions").where("user_id", "=", userId).execute();
  await trx.deleteFrom("email_tokens").where("user_id", "=", userId).execute();
  await trx.deleteFrom("api_tokens").where("user_id", "=", userId).execute();
  await trx.deleteFrom("memberships").where("user_id", "=", userId).execute();
  await trx.deleteFrom("support_sessions").where("staff_user_id", "=", userId).execute();
  // Invitations to their address: pending ones would let the address join again, used ones name it.
  await trx
    .deleteFrom("invitations")
    .where(sql<string>`unicode_lower(email)`, "=", email)
    .execute();
  // Their login history stays as counts and times; where from and with what was theirs.
  await trx.updateTable("security_log").set({ email: null, ip: null, user_agent: null }).where("user_id", "=", userId).execute();
  // Attempts on their address by anyone (user_id unknown then): the address goes, the attempt stays.
  await trx
    .updateTable("security_log")
    .set({ email: null })
    .where(sql<string>`unicode_lower(email)`, "=", email)
    .execute();
  await scrubAllText(trx, replacer, CONTROL_TABLES);
  // Written last, so scrubAllText does not touch it; it names nobody but the pseudonym.
  await trx
    .insertInto("security_log")
    .values({
      at: now,
      event: "account.deleted",
      user_id: userId,
      email: null,
      ip: null,
      user_agent: null,
      detail: JSON.stringify({ pseudonym: person.pseudonym, by: actor }),
    })
    .execute();
}
