import { countMembersWithRole, findMember, listMembers, setMemberRole } from "../../db/tenant/access/members";
import { findClient } from "../../db/tenant/clients";
import { inTenantTransaction } from "../../db/tenant/context";
import { getOrgSettings } from "../../db/tenant/settings";
import { removeFromOrganisation } from "../access/membership";
import { pauseForLostOwners } from "../webhooks/owner";
import { assertClientTie, assertWithin, resolveRole, roleKeySchema } from "../access/role-grants";
import { audit } from "../audit/audit";
import { BUILT_IN_ROLE_LABELS, isBuiltInRole, permissionsOf } from "../permissions/roles";
import { badRequest, conflict, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { idSchema, orgInput } from "./inputs";
import { DELETED_MEMBER_ROLE } from "../privacy/delete-account";

const userId = idSchema("u");

async function requireMember(id: string) {
  const member = await findMember(id);
  if (!member) throw notFound("Member");
  return member;
}

/** An organisation always keeps an owner: the last one cannot leave, be removed or be demoted. */
async function assertNotLastOwner(member: { role: string }, what: string) {
  if (member.role === "owner" && (await countMembersWithRole("owner")) <= 1) {
    throw conflict(`${what}: this is the organisation's last owner. Make someone else an owner first.`);
  }
}

/**
 * A deleted account's member row stays only so past work keeps a name (ADR 009): giving it a role
 * would hand a seat to nobody, and removing it would leave that work unnamed.
 */
function assertNotDeletedAccount(member: { role: string }, what: string) {
  if (member.role === DELETED_MEMBER_ROLE) {
    throw conflict(`${what}: this member deleted their account. Their row stays so their past work keeps a name.`);
  }
}

async function requireClient(id: string | null) {
  if (id && !(await findClient(id))) throw badRequest("That client does not exist in this organisation.");
}

export const membersRouter = router({
  /** Who the caller is here: the navigation shows only what their role allows. */
  me: tenantProcedure
    .meta({ permission: "org.view" })
    .input(orgInput)
    .query(async ({ ctx }) => ({
      // Display settings every page needs (money and dates); editing them is org.settings.
      ...(await getOrgSettings()),
      userId: ctx.actor.id,
      role: ctx.role,
      roleName: ctx.actor.kind === "support" ? "Support" : ((await resolveRole(ctx.role).catch(() => null))?.name ?? ctx.role),
      clientId: ctx.access.clientId,
      permissions: [...ctx.permissions].sort(),
    })),

  list: tenantProcedure
    .meta({ permission: "member.read" })
    .input(orgInput)
    .query(async () => {
      const rows = await listMembers();
      return rows.map((m) => ({
        userId: m.user_id,
        name: m.name,
        email: m.email,
        role: m.role,
        roleName: m.custom_role_name ?? roleLabel(m.role),
        clientId: m.client_id,
        clientName: m.client_name,
        joinedAt: m.joined_at,
      }));
    }),

  setRole: tenantProcedure
    .meta({ permission: "member.role.assign" })
    .input(
      orgInput.extend({
        userId,
        role: roleKeySchema,
        clientId: idSchema("c")
          .nullish()
          .transform((v) => v ?? null),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const result = await inTenantTransaction(async () => {
        const member = await requireMember(input.userId);
        assertNotDeletedAccount(member, "Cannot change the role");
        const next = await resolveRole(input.role);
        assertWithin(ctx.permissions, permissionsOf(member.role, member.custom_permissions), "Changing this member's role");
        assertWithin(ctx.permissions, next.permissions, `Giving the role ${next.name}`);
        if (member.role !== input.role) await assertNotLastOwner(member, "Cannot change the role");
        assertClientTie(input.role, input.clientId);
        await requireClient(input.clientId);
        await setMemberRole(input.userId, input.role, input.clientId);
        await audit(
          ctx.actor,
          "member.role_change",
          { type: "member", id: input.userId },
          { from: member.role, to: input.role, clientId: input.clientId },
        );
        return { userId: input.userId, role: input.role };
      });
      // Their webhooks act as them: a member who left or lost webhook.manage sends no more.
      await pauseForLostOwners(ctx.services, ctx.tenant);
      return result;
    }),

  remove: tenantProcedure
    .meta({ permission: "member.remove" })
    .input(orgInput.extend({ userId }))
    .mutation(async ({ ctx, input }) => {
      const result = await inTenantTransaction(async () => {
        const member = await requireMember(input.userId);
        if (input.userId === ctx.actor.id) throw badRequest("To leave the organisation yourself, use Leave.");
        assertNotDeletedAccount(member, "Cannot remove");
        assertWithin(ctx.permissions, permissionsOf(member.role, member.custom_permissions), "Removing this member");
        await assertNotLastOwner(member, "Cannot remove");
        await removeFromOrganisation(ctx.services, ctx.tenant.id, input.userId);
        await audit(ctx.actor, "member.remove", { type: "member", id: input.userId }, { role: member.role, email: member.email });
        return { ok: true };
      });
      // Their webhooks act as them: a member who left or lost webhook.manage sends no more.
      await pauseForLostOwners(ctx.services, ctx.tenant);
      return result;
    }),

  leave: tenantProcedure
    .meta({ permission: "org.leave" })
    .input(orgInput)
    .mutation(async ({ ctx }) => {
      const result = await inTenantTransaction(async () => {
        if (ctx.actor.kind !== "user") throw badRequest("Only members can leave an organisation.");
        const member = await requireMember(ctx.actor.id);
        await assertNotLastOwner(member, "Cannot leave");
        await removeFromOrganisation(ctx.services, ctx.tenant.id, ctx.actor.id);
        await audit(ctx.actor, "member.leave", { type: "member", id: ctx.actor.id });
        return { ok: true };
      });
      // Their webhooks act as them: a member who left or lost webhook.manage sends no more.
      await pauseForLostOwners(ctx.services, ctx.tenant);
      return result;
    }),
});

function roleLabel(role: string) {
  if (role === DELETED_MEMBER_ROLE) return "Deleted account";
  return isBuiltInRole(role) ? BUILT_IN_ROLE_LABELS[role].name : "No role (it was deleted)";
}
