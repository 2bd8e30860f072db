import { ALL_PERMISSIONS, type Permission } from "./catalogue";

/** Built-in roles. Custom roles (their own issue) will be rows in the tenant file, resolved the same way. */
export const BUILT_IN_ROLES = {
  owner: ALL_PERMISSIONS,
  admin: ALL_PERMISSIONS.filter((p) => p !== "org.delete" && p !== "org.billing"),
  member: [
    "client.read",
    "project.read",
    "task.read",
    "task.create",
    "task.update",
    "task.move",
    "comment.read",
    "comment.create",
    "comment.update.own",
    "comment.delete.own",
    "time.read.own",
    "time.write.own",
    "file.read",
    "file.upload",
    "member.read",
    "dashboard.view",
  ],
} as const satisfies Record<string, readonly Permission[]>;

export type BuiltInRole = keyof typeof BUILT_IN_ROLES;

export function permissionsOf(role: string): ReadonlySet<Permission> {
  const list: readonly Permission[] | undefined = (BUILT_IN_ROLES as Record<string, readonly Permission[]>)[role];
  return new Set(list ?? []);
}
