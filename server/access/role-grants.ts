import { z } from "zod";
import { findCustomRole } from "../../db/tenant/access/roles";
import type { Permission } from "../permissions/catalogue";
import { BUILT_IN_ROLES, BUILT_IN_ROLE_LABELS, isBuiltInRole, permissionsOf } from "../permissions/roles";
import { badRequest, forbidden } from "../trpc/errors";

/** A role as members and invitations name it: a built-in name or a custom role's id. */
export const roleKeySchema = z.union([
  z.enum(Object.keys(BUILT_IN_ROLES) as [string, ...string[]]),
  z.string().regex(/^r[a-z2-7]{24}$/, "Not a valid role."),
]);

export interface ResolvedRole {
  key: string;
  name: string;
  permissions: ReadonlySet<Permission>;
}

/** Resolves a role key inside the current tenant; a custom role that no longer exists is a bad request. */
export async function resolveRole(key: string): Promise<ResolvedRole> {
  if (isBuiltInRole(key)) return { key, name: BUILT_IN_ROLE_LABELS[key].name, permissions: permissionsOf(key) };
  const role = await findCustomRole(key);
  if (!role) throw badRequest("That role does not exist in this organisation.");
  return { key, name: role.name, permissions: permissionsOf(key, role.permissions) };
}

/**
 * No one hands out more than they hold: granting a role, inviting with it, editing it, or acting on
 * a member whose role holds permissions the caller lacks is refused. This stops an admin from making
 * themselves owner, and a custom "role manager" from minting a role above their own.
 */
export function assertWithin(held: ReadonlySet<Permission>, wanted: Iterable<Permission>, what: string) {
  const missing = [...wanted].filter((p) => !held.has(p));
  if (missing.length)
    throw forbidden(`${what} needs permissions you do not have: ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""}.`);
}

/** The built-in `client` role is for client contacts only; it needs the client they belong to. */
export function assertClientTie(role: string, clientId: string | null) {
  if (role === "client" && !clientId) throw badRequest("Choose the client this contact belongs to.");
}
