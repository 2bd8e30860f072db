import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { InvitationRow } from "../../db/control/schema";
import { findClient } from "../../db/tenant/clients";
import { inTenantTransaction, runInTenant } from "../../db/tenant/context";
import { FULL_ACCESS } from "../../db/tenant/visibility";
import {
  createInvitation,
  findInvitationByToken,
  invitationState,
  listInvitations,
  markAccepted,
  reissueInvitation,
  revokeInvitation,
  INVITATION_DAYS,
} from "../access/invitations";
import { joinOrganisation } from "../access/membership";
import { assertClientTie, assertWithin, resolveRole, roleKeySchema } from "../access/role-grants";
import { audit } from "../audit/audit";
import { logSecurityEvent } from "../audit/security-log";
import { createUser } from "../auth/accounts";
import { startSession } from "../auth/session";
import { invitationMessage } from "../email/templates";
import type { Context } from "../trpc/context";
import { badRequest, conflict, forbidden, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { authedProcedure, publicProcedure, tenantProcedure } from "../trpc/procedures";
import type { Actor } from "../trpc/tenant-context";
import { emailSchema, passwordSchema, personNameSchema, tokenSchema } from "./auth-inputs";
import { idSchema, orgInput } from "./inputs";

const invitationId = idSchema("v");

async function sendInvitation(
  ctx: Pick<Context, "services" | "origin"> & { tenant: { name: string } },
  row: InvitationRow,
  token: string,
  inviterName: string,
) {
  const role = await resolveRole(row.role);
  const link = `${ctx.origin}/invite?token=${token}`;
  await ctx.services.mailer.send(invitationMessage(row.email, ctx.tenant.name, inviterName, role.name, row.expires_at, link));
}

type Invitation = NonNullable<Awaited<ReturnType<typeof findInvitationByToken>>>;

/** The same sentence for an unknown token and one that no longer works, except where the holder gains by knowing. */
async function usableInvitation(ctx: Context, token: string): Promise<Invitation> {
  const invitation = await findInvitationByToken(ctx.services.control, token);
  if (!invitation || invitation.tenant_status !== "active") throw notFound("Invitation");
  const state = invitationState(invitation, ctx.services.clock.now());
  if (state === "revoked") throw notFound("Invitation");
  if (state === "expired") throw new TRPCError({ code: "NOT_FOUND", message: "This invitation has expired. Ask for a new one." });
  if (state === "accepted" && invitation.accepted_by !== ctx.viewer?.user.id)
    throw new TRPCError({ code: "NOT_FOUND", message: "This invitation has already been used." });
  return invitation;
}

/** Tenant row first, then control membership, then the invitation is spent (see joinOrganisation). */
async function acceptFor(ctx: Context, invitation: Invitation, user: { id: string; name: string; email: string }) {
  const actor: Actor = { kind: "user", id: user.id, ip: ctx.info.ip, userAgent: ctx.info.userAgent };
  await joinOrganisation(
    ctx.services,
    invitation.tenant_id,
    { userId: user.id, role: invitation.role, name: user.name, email: user.email, clientId: invitation.client_id },
    actor,
    { invitation: invitation.id },
  );
  await markAccepted(ctx.services, invitation.id, user.id);
  await logSecurityEvent(
    ctx.services.control,
    ctx.services.clock.now(),
    "invitation.accepted",
    { userId: user.id, email: user.email },
    ctx.info,
    { tenantId: invitation.tenant_id, invitation: invitation.id },
  );
  return { slug: invitation.slug, name: invitation.org_name };
}

export const invitationsRouter = router({
  list: tenantProcedure
    .meta({ permission: "member.invite" })
    .input(orgInput)
    .query(async ({ ctx }) => {
      const now = ctx.services.clock.now();
      const rows = await listInvitations(ctx.services.control, ctx.tenant.id);
      return Promise.all(
        rows.map(async (r) => ({
          id: r.id,
          email: r.email,
          role: r.role,
          roleName: (await resolveRole(r.role).catch(() => null))?.name ?? "No role (it was deleted)",
          clientId: r.client_id,
          invitedBy: r.invited_by_name,
          sentAt: r.sent_at,
          expiresAt: r.expires_at,
          state: invitationState(r, now),
        })),
      );
    }),

  create: tenantProcedure
    .meta({ permission: "member.invite" })
    .input(
      orgInput.extend({
        email: emailSchema,
        role: roleKeySchema,
        clientId: idSchema("c")
          .nullish()
          .transform((v) => v ?? null),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const role = await resolveRole(input.role);
      assertWithin(ctx.permissions, role.permissions, `Inviting as ${role.name}`);
      assertClientTie(input.role, input.clientId);
      if (input.clientId && !(await findClient(input.clientId))) throw badRequest("That client does not exist in this organisation.");
      // Control row first, then the audit row: a crash in between leaves a harmless unaudited invitation.
      const { row, token } = await createInvitation(
        ctx.services,
        ctx.tenant.id,
        { email: input.email, role: input.role, clientId: input.clientId },
        ctx.actor.id,
      );
      await inTenantTransaction(() =>
        audit(ctx.actor, "member.invite", { type: "invitation", id: row.id }, { email: row.email, role: row.role }),
      );
      await sendInvitation(ctx, row, token, ctx.viewer.user.name);
      return { id: row.id, email: row.email, expiresAt: row.expires_at, days: INVITATION_DAYS };
    }),

  resend: tenantProcedure
    .meta({ permission: "member.invite" })
    .input(orgInput.extend({ id: invitationId }))
    .mutation(async ({ ctx, input }) => {
      // Resending hands out a fresh key to the role, so it needs the same standing as inviting with it.
      const existing = await ctx.services.control
        .selectFrom("invitations")
        .select("role")
        .where("id", "=", input.id)
        .where("tenant_id", "=", ctx.tenant.id)
        .executeTakeFirst();
      if (!existing) throw notFound("Open invitation");
      const role = await resolveRole(existing.role);
      assertWithin(ctx.permissions, role.permissions, `Inviting as ${role.name}`);
      const reissued = await reissueInvitation(ctx.services, ctx.tenant.id, input.id);
      if (!reissued) throw notFound("Open invitation");
      await inTenantTransaction(() =>
        audit(ctx.actor, "member.invite_resend", { type: "invitation", id: input.id }, { email: reissued.row.email }),
      );
      await sendInvitation(ctx, reissued.row, reissued.token, ctx.viewer.user.name);
      return { id: input.id, expiresAt: reissued.row.expires_at };
    }),

  revoke: tenantProcedure
    .meta({ permission: "member.invite" })
    .input(orgInput.extend({ id: invitationId }))
    .mutation(async ({ ctx, input }) => {
      if (!(await revokeInvitation(ctx.services, ctx.tenant.id, input.id, ctx.actor.id))) throw notFound("Open invitation");
      await inTenantTransaction(() => audit(ctx.actor, "member.invite_revoke", { type: "invitation", id: input.id }));
      return { ok: true };
    }),

  /** What the link's page shows before anyone decides: which organisation, for which address. */
  preview: publicProcedure
    .meta({ access: "public" })
    .input(z.object({ token: tokenSchema }))
    .query(async ({ ctx, input }) => {
      const invitation = await usableInvitation(ctx, input.token);
      const lease = await ctx.services.pool.acquire(invitation.tenant_id);
      try {
        const role = await runInTenant({ tenantId: invitation.tenant_id, db: lease.db, access: FULL_ACCESS }, () =>
          resolveRole(invitation.role).catch(() => null),
        );
        const account = await ctx.services.control
          .selectFrom("users")
          .select("id")
          .where("email", "=", invitation.email)
          .executeTakeFirst();
        return {
          orgName: invitation.org_name,
          email: invitation.email,
          roleName: role?.name ?? "a role that no longer exists",
          inviterName: invitation.inviter_name,
          expiresAt: invitation.expires_at,
          accepted: invitation.accepted_at !== null,
          hasAccount: Boolean(account),
          signedInAs: ctx.viewer?.user.email ?? null,
        };
      } finally {
        lease.release();
      }
    }),

  /** An existing account accepts: it must be the invited address. */
  accept: authedProcedure
    .meta({ access: "authed" })
    .input(z.object({ token: tokenSchema }))
    .mutation(async ({ ctx, input }) => {
      const invitation = await usableInvitation(ctx, input.token);
      const user = ctx.viewer.user;
      if (user.isStaff) throw forbidden("Platform staff accounts cannot join organisations. Use a personal account.");
      if (user.email.toLowerCase() !== invitation.email) {
        await logSecurityEvent(
          ctx.services.control,
          ctx.services.clock.now(),
          "invitation.refused",
          { userId: user.id, email: user.email },
          ctx.info,
          { reason: "other_email", invitation: invitation.id },
        );
        throw forbidden(`This invitation is for ${invitation.email}. Log in with that address to accept it.`);
      }
      // The link reached this inbox, which proves the address as well as the confirmation email would.
      if (!user.emailVerified)
        await ctx.services.control
          .updateTable("users")
          .set({ email_verified_at: ctx.services.clock.now() })
          .where("id", "=", user.id)
          .execute();
      return acceptFor(ctx, invitation, user);
    }),

  /** Someone new accepts by creating their account; the address is the invited one, already proven. */
  acceptAsNewUser: publicProcedure
    .meta({ access: "public" })
    .input(z.object({ token: tokenSchema, name: personNameSchema, password: passwordSchema }))
    .mutation(async ({ ctx, input }) => {
      const invitation = await usableInvitation(ctx, input.token);
      if (invitation.accepted_at !== null) throw conflict("This invitation has already been used.");
      const account = await ctx.services.control.selectFrom("users").select("id").where("email", "=", invitation.email).executeTakeFirst();
      if (account) throw conflict("An account with this address exists. Log in to accept the invitation.");
      const user = await createUser(ctx.services, {
        name: input.name,
        email: invitation.email,
        password: input.password,
        isStaff: false,
        verified: true,
      });
      await logSecurityEvent(ctx.services.control, ctx.services.clock.now(), "signup", { userId: user.id, email: user.email }, ctx.info, {
        via: "invitation",
      });
      const joined = await acceptFor(ctx, invitation, user);
      ctx.setCookie(await startSession(ctx.services, user.id, ctx.info));
      return joined;
    }),
});
