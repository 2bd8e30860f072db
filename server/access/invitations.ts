import { sql } from "kysely";
import type { ControlDb } from "../../db/control/open";
import type { InvitationRow } from "../../db/control/schema";
import { newId, newToken, sha256Hex } from "../auth/tokens";
import type { Services } from "../services";
import { conflict } from "../trpc/errors";

export const INVITATION_DAYS = 7;
const LIFETIME = INVITATION_DAYS * 24 * 3_600_000;

export type InvitationState = "pending" | "accepted" | "revoked" | "expired";

export function invitationState(row: Pick<InvitationRow, "accepted_at" | "revoked_at" | "expires_at">, now: number): InvitationState {
  if (row.accepted_at !== null) return "accepted";
  if (row.revoked_at !== null) return "revoked";
  return row.expires_at <= now ? "expired" : "pending";
}

export interface NewInvitation {
  email: string;
  role: string;
  clientId: string | null;
}

async function isMember(control: ControlDb, tenantId: string, email: string) {
  const row = await control
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select("users.id")
    .where("memberships.tenant_id", "=", tenantId)
    .where(sql`lower(users.email)`, "=", email)
    .executeTakeFirst();
  return Boolean(row);
}

/** Stores only the token's hash; the token goes out in the email and is never shown again. */
export async function createInvitation(services: Services, tenantId: string, invite: NewInvitation, invitedBy: string) {
  const { control, clock } = services;
  const now = clock.now();
  const token = newToken();
  const row: InvitationRow = {
    id: newId("v"),
    tenant_id: tenantId,
    email: invite.email,
    role: invite.role,
    client_id: invite.clientId,
    token_hash: sha256Hex(token),
    invited_by: invitedBy,
    created_at: now,
    sent_at: now,
    expires_at: now + LIFETIME,
    accepted_at: null,
    accepted_by: null,
    revoked_at: null,
    revoked_by: null,
  };
  await control.transaction().execute(async (trx) => {
    if (await isMember(trx, tenantId, invite.email)) throw conflict("That person is already a member of this organisation.");
    const pending = await trx
      .selectFrom("invitations")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("email", "=", invite.email)
      .where("accepted_at", "is", null)
      .where("revoked_at", "is", null)
      .where("expires_at", ">", now)
      .executeTakeFirst();
    if (pending) throw conflict("An invitation to this address is already pending; resend or revoke it.");
    await trx.insertInto("invitations").values(row).execute();
  });
  return { row, token };
}

/** A new token and a fresh expiry for an invitation not yet used or revoked; the old link stops working. */
export async function reissueInvitation(services: Services, tenantId: string, id: string) {
  const now = services.clock.now();
  const token = newToken();
  const row = await services.control
    .updateTable("invitations")
    .set({ token_hash: sha256Hex(token), sent_at: now, expires_at: now + LIFETIME })
    .where("id", "=", id)
    .where("tenant_id", "=", tenantId)
    .where("accepted_at", "is", null)
    .where("revoked_at", "is", null)
    .returningAll()
    .executeTakeFirst();
  return row ? { row, token } : null;
}

export async function revokeInvitation(services: Services, tenantId: string, id: string, by: string) {
  const result = await services.control
    .updateTable("invitations")
    .set({ revoked_at: services.clock.now(), revoked_by: by })
    .where("id", "=", id)
    .where("tenant_id", "=", tenantId)
    .where("accepted_at", "is", null)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export function listInvitations(control: ControlDb, tenantId: string) {
  return control
    .selectFrom("invitations")
    .leftJoin("users as inviter", "inviter.id", "invitations.invited_by")
    .select([
      "invitations.id",
      "invitations.email",
      "invitations.role",
      "invitations.client_id",
      "invitations.created_at",
      "invitations.sent_at",
      "invitations.expires_at",
      "invitations.accepted_at",
      "invitations.revoked_at",
      "inviter.name as invited_by_name",
    ])
    .where("invitations.tenant_id", "=", tenantId)
    .orderBy("invitations.created_at", "desc")
    .limit(200)
    .execute();
}

/** Pending invitations still naming a role, so a role in use by one cannot be deleted under it. */
export async function pendingInvitationsWithRole(services: Services, tenantId: string, role: string) {
  const row = await services.control
    .selectFrom("invitations")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("tenant_id", "=", tenantId)
    .where("role", "=", role)
    .where("accepted_at", "is", null)
    .where("revoked_at", "is", null)
    .where("expires_at", ">", services.clock.now())
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The invitation a link names, with its organisation; null for an unknown token. */
export function findInvitationByToken(control: ControlDb, token: string) {
  return control
    .selectFrom("invitations")
    .innerJoin("tenants", "tenants.id", "invitations.tenant_id")
    .leftJoin("users as inviter", "inviter.id", "invitations.invited_by")
    .selectAll("invitations")
    .select(["tenants.slug", "tenants.name as org_name", "tenants.status as tenant_status", "inviter.name as inviter_name"])
    .where("invitations.token_hash", "=", sha256Hex(token))
    .executeTakeFirst();
}

/** Single use: only the first acceptance marks it; a second finds it already taken. */
export async function markAccepted(services: Services, id: string, userId: string) {
  const result = await services.control
    .updateTable("invitations")
    .set({ accepted_at: services.clock.now(), accepted_by: userId })
    .where("id", "=", id)
    .where("accepted_at", "is", null)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
