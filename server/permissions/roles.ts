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
    "support.view",
  ],
} as const satisfies Record<string, readonly Permission[]>;

export type BuiltInRole = keyof typeof BUILT_IN_ROLES;

/** A Set that refuses changes once built, so one instance can be shared by every request. */
class FrozenSet<T> extends Set<T> {
  readonly #frozen: boolean;
  constructor(items: Iterable<T>) {
    super();
    for (const item of items) super.add(item);
    this.#frozen = true;
  }
  override add(value: T): this {
    if (this.#frozen) throw new TypeError("permission sets are read-only");
    return super.add(value);
  }
  override delete(): boolean {
    throw new TypeError("permission sets are read-only");
  }
  override clear(): void {
    throw new TypeError("permission sets are read-only");
  }
}

// Built-in roles are constants, so their sets are built once. The role itself is read per request.
const BUILT_IN_SETS = new Map<string, ReadonlySet<Permission>>(
  Object.entries(BUILT_IN_ROLES).map(([role, list]) => [role, new FrozenSet<Permission>(list)]),
);
const NO_PERMISSIONS: ReadonlySet<Permission> = new FrozenSet<Permission>([]);

export function permissionsOf(role: string): ReadonlySet<Permission> {
  return (Object.hasOwn(BUILT_IN_ROLES, role) && BUILT_IN_SETS.get(role)) || NO_PERMISSIONS;
}
