import { z } from "zod";
import { countMembersWithRole } from "../../db/tenant/access/members";
import { deleteCustomRole, findCustomRole, insertCustomRole, listCustomRoles, updateCustomRole } from "../../db/tenant/access/roles";
import { inTenantTransaction } from "../../db/tenant/context";
import { pendingInvitationsWithRole } from "../access/invitations";
import { assertWithin } from "../access/role-grants";
import { audit } from "../audit/audit";
import { newId } from "../auth/tokens";
import { isPermission, type Permission } from "../permissions/catalogue";
import { BUILT_IN_ROLE_LABELS, BUILT_IN_ROLES, parsePermissionList, permissionsOf } from "../permissions/roles";
import { conflict, isUniqueViolation, notFound } from "../trpc/errors";
import { pauseForLostOwners } from "../webhooks/owner";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { idSchema, nameSchema, orgInput } from "./inputs";

const roleId = idSchema("r");
const permissionList = z
  .array(z.string().refine(isPermission, "Unknown permission."))
  .max(200)
  .transform((list) => [...new Set(list)] as Permission[]);
const fields = z.object({
  name: nameSchema.refine((n) => !Object.keys(BUILT_IN_ROLES).includes(n.toLowerCase()), "That name belongs to a built-in role."),
  description: z.string().trim().max(500, "Use at most 500 characters.").default(""),
  permissions: permissionList,
});

async function requireRole(id: string) {
  const role = await findCustomRole(id);
  if (!role) throw notFound("Role");
  return role;
}

function duplicateName(error: unknown): never {
  if (isUniqueViolation(error)) throw conflict("Another role already has this name.");
  throw error;
}

export const rolesRouter = router({
  /** Built-in roles first, then custom ones, each with its permissions and how many members hold it. */
  list: tenantProcedure
    .meta({ permission: "member.read" })
    .input(orgInput)
    .query(async () => {
      const custom = await listCustomRoles();
      const builtIn = Object.entries(BUILT_IN_ROLES).map(([key, permissions]) => ({
        id: key,
        builtIn: true,
        name: BUILT_IN_ROLE_LABELS[key as keyof typeof BUILT_IN_ROLES].name,
        description: BUILT_IN_ROLE_LABELS[key as keyof typeof BUILT_IN_ROLES].description,
        permissions: [...permissions].sort(),
      }));
      const all = [
        ...builtIn,
        ...custom.map((r) => ({
          id: r.id,
          builtIn: false,
          name: r.name,
          description: r.description,
          permissions: parsePermissionList(r.permissions),
        })),
      ];
      return Promise.all(all.map(async (r) => ({ ...r, members: await countMembersWithRole(r.id) })));
    }),

  create: tenantProcedure
    .meta({ permission: "role.manage" })
    .input(orgInput.extend(fields.shape))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        assertWithin(ctx.permissions, input.permissions, "This role");
        const id = newId("r");
        await insertCustomRole(id, input, Date.now()).catch(duplicateName);
        await audit(ctx.actor, "role.create", { type: "role", id }, { name: input.name, permissions: input.permissions });
        return { id };
      }),
    ),

  update: tenantProcedure
    .meta({ permission: "role.manage" })
    .input(
      orgInput.extend({
        id: roleId,
        name: fields.shape.name.optional(),
        description: z.string().trim().max(500).optional(),
        permissions: permissionList.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const result = await inTenantTransaction(async () => {
        const { org: _org, id, ...changes } = input;
        const role = await requireRole(id);
        // Editing a role is granting to everyone who holds it: both its old and new lists must be within the editor's own.
        assertWithin(ctx.permissions, permissionsOf(id, role.permissions), "Editing this role");
        if (changes.permissions) assertWithin(ctx.permissions, changes.permissions, "This role");
        await updateCustomRole(id, changes, Date.now()).catch(duplicateName);
        const before = new Set(parsePermissionList(role.permissions));
        const after = changes.permissions ? new Set(changes.permissions) : before;
        await audit(
          ctx.actor,
          "role.update",
          { type: "role", id },
          {
            ...(changes.name !== undefined && { name: changes.name }),
            added: [...after].filter((p) => !before.has(p)),
            removed: [...before].filter((p) => !after.has(p)),
          },
        );
        return { id };
      });
      // Taking webhook.manage out of a role pauses the webhooks its holders own.
      await pauseForLostOwners(ctx.services, ctx.tenant);
      return result;
    }),

  delete: tenantProcedure
    .meta({ permission: "role.manage" })
    .input(orgInput.extend({ id: roleId }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const role = await requireRole(input.id);
        assertWithin(ctx.permissions, permissionsOf(input.id, role.permissions), "Deleting this role");
        const holders = await countMembersWithRole(input.id);
        if (holders > 0) throw conflict(`${holders} member${holders === 1 ? " has" : "s have"} this role; give them another role first.`);
        const invited = await pendingInvitationsWithRole(ctx.services, ctx.tenant.id, input.id);
        if (invited > 0)
          throw conflict(
            `${invited} pending invitation${invited === 1 ? " uses" : "s use"} this role; revoke ${invited === 1 ? "it" : "them"} first.`,
          );
        await deleteCustomRole(input.id);
        await audit(ctx.actor, "role.delete", { type: "role", id: input.id }, { name: role.name });
        return { ok: true };
      }),
    ),
});
