import type { PermissionGroup } from "~/components/roles-matrix";
import { PERMISSIONS, revealsOf, type Permission } from "../../server/permissions/catalogue";

/**
 * The catalogue grouped for the roles matrix, in catalogue order. The catalogue is plain data with no
 * API of its own, so the loader reads the module (server side only) rather than copying its labels.
 */
export function permissionGroups(): PermissionGroup[] {
  const groups = new Map<string, PermissionGroup>();
  for (const [key, { group, label }] of Object.entries(PERMISSIONS)) {
    if (!groups.has(group)) groups.set(group, { group, permissions: [] });
    groups.get(group)!.permissions.push({ key, label, reveals: revealsOf(key as Permission) });
  }
  return [...groups.values()];
}
