import { existsSync } from "node:fs";
import { tenantFilePath } from "../../db/tenant/paths";
import type { RequestInfo } from "../auth/session";
import type { Services } from "../services";
import { conflict, notFound } from "../trpc/errors";
import { CONTROL_TARGET, queueCompaction } from "./compaction";
import { eraseFromControl, LATE_LINK_MESSAGE, removeUnconfirmedAccount } from "./erase-control";
import { eraseMember, inSecureTransaction, isLastOwner } from "./erase-member";
import { exportsBeforeErasure, expireExportsBefore, type ExportRef } from "./expire-exports";
import { linkedTenantIds, revokeAccess } from "./links";
import { pseudonymFor } from "./pseudonym";

export { DELETED_MEMBER_ROLE } from "./erase-member";

/**
 * Rounds of "erase what was linked since" before giving up. Access ends before the first file is
 * rewritten, so only requests already in flight can add links; more than a few rounds means
 * something keeps adding them, and a retry is the safer answer.
 */
const LATE_LINK_ROUNDS = 3;

export interface DeleteAccountOptions {
  /** "self": from the account page, after the password was checked; "operator": the CLI. */
  actor?: "self" | "operator";
}

export interface DeleteAccountResult {
  userId: string;
  /** The name its records show from now on; null when the account was removed outright (never confirmed, no records). */
  pseudonym: string | null;
  /** Organisation files written. */
  organisations: number;
}

type Tenant = { id: string; slug: string; name: string; status: string; purge_after: number | null };

/**
 * Deletes an account by reference (ADR 009, issue 24): its footprint is found by its user id, never
 * by searching anyone's text for its name or address.
 *
 * - An account whose address was never confirmed and that no organisation links to owns nothing:
 *   it is removed outright, in the control DB alone (removeUnconfirmedAccount).
 * - Otherwise its name, email and password hash go, its sessions, tokens and invitations go, and in
 *   each organisation the control DB links it to by id (linkedTenantIds) its member row becomes a
 *   pseudonym and the fields that name it as an actor are handled by eraseMember. Text people typed
 *   (client contacts, notes, descriptions, invoices, audit details) is the organisation's record and
 *   is never rewritten; organisations it is not linked to are never opened.
 *
 * Refused (nothing changed) while they are the last owner of an active or closed organisation.
 * Access ends first (revokeAccess); organisations linked by requests already in flight are erased in
 * a few more rounds. Files are written tenant first, control last, each idempotently: a crash midway
 * leaves the account able to log in again, and running the deletion again completes it. Exports of
 * the organisations written are expired. Rebuilding the written files so no old page keeps the
 * person is queued (compaction.ts), never done here: the caller answers at once.
 */
export async function deleteAccount(
  services: Services,
  userId: string,
  _info: RequestInfo,
  opts: DeleteAccountOptions = {},
): Promise<DeleteAccountResult> {
  const { control, clock } = services;
  const actor = opts.actor ?? "self";
  const user = await control
    .selectFrom("users")
    .select(["id", "email", "email_verified_at", "deleted_at", "pseudonym"])
    .where("id", "=", userId)
    .executeTakeFirst();
  if (!user) throw notFound("Account");
  if (user.deleted_at !== null && user.pseudonym) return { userId, pseudonym: user.pseudonym, organisations: 0 };
  const provenEmail = user.email_verified_at !== null ? user.email.trim().toLowerCase() : null;

  if (provenEmail === null && (await linkedTenantIds(control, userId)).size === 0) {
    if (await removeUnconfirmedAccount(control, userId, clock.now(), actor)) return { userId, pseudonym: null, organisations: 0 };
    // Linked between the two reads (an invitation accepted, which confirms the address): delete it as any other.
  }

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
  const now = clock.now();
  // Linked organisations already dealt with (erased, or without a file to erase).
  const considered = new Set<string>();
  const written: string[] = [];
  const exports: ExportRef[] = [];

  const erase = async (tenants: Tenant[]) => {
    for (const tenant of tenants) {
      exports.push(...(await exportsBeforeErasure(control, tenant.id)));
      const lease = await services.pool.acquire(tenant.id);
      try {
        await inSecureTransaction(lease.db, (trx) => eraseMember(trx, tenant, userId, pseudonym, now));
      } finally {
        lease.release();
      }
      written.push(tenant.id);
    }
  };

  const linked = await revokeAccess(control, userId, provenEmail);
  linked.forEach((id) => considered.add(id));
  await erase(await tenantsWithFiles(services, [...linked]));
  // A request already past the door when access ended (accepting an invitation, creating an
  // organisation) can link them to an organisation the pass above did not cover.
  for (let round = 0; ; round++) {
    const late = [...(await linkedTenantIds(control, userId))].filter((id) => !considered.has(id));
    if (!late.length) break;
    if (round === LATE_LINK_ROUNDS) throw conflict(LATE_LINK_MESSAGE);
    await erase(await tenantsWithFiles(services, late));
    late.forEach((id) => considered.add(id));
  }
  await expireExportsBefore(services, exports);

  await control.transaction().execute(async (trx) => {
    await eraseFromControl(trx, { userId, pseudonym, provenEmail, now, actor, considered });
    await queueCompaction(trx, [...written, CONTROL_TARGET], now);
  });
  return { userId, pseudonym, organisations: written.length };
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

/** These organisations, those with a file (one without holds nothing to erase). */
async function tenantsWithFiles(services: Services, ids: string[]): Promise<Tenant[]> {
  if (!ids.length) return [];
  const rows = await services.control
    .selectFrom("tenants")
    .select(["id", "slug", "name", "status", "purge_after"])
    .where("id", "in", ids)
    .orderBy("id")
    .execute();
  return rows.filter((t) => existsSync(tenantFilePath(services.config.dataDir, t.id)));
}
