import { ALL_PERMISSIONS, isPermission, type Permission } from "./catalogue";

const MEMBER: readonly Permission[] = [
  "client.read",
  "project.read",
  "task.read",
  "task.create",
  "task.update",
  "task.assign",
  "task.move",
  "request.create",
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
  "org.view",
  "org.leave",
  "api.tokens",
];

const MANAGER_EXTRA: readonly Permission[] = [
  "client.create",
  "client.update",
  "client.archive",
  "project.read.all",
  "project.create",
  "project.update",
  "project.archive",
  "project.share",
  "project.rates.view",
  "task.delete",
  "request.triage",
  "workflow.manage",
  "label.manage",
  "comment.delete.all",
  "time.read.all",
  "time.write.all",
  "time.rates.manage",
  "time.reprice",
  "invoice.read",
  "invoice.create",
  "invoice.update",
  "invoice.issue",
  "invoice.void",
  "invoice.delete",
  "payment.read",
  "payment.create",
  "payment.delete",
  "report.view",
  "report.export",
  "file.delete",
  "integration.read",
  "audit.view",
];

/**
 * Built-in roles: fixed in code, so a release can extend them. Custom roles are rows in the tenant
 * file. `member` sees projects only through sharing or the shared space; `client` is for client
 * contacts, who in addition see only their own client's shared projects whatever their role.
 */
export const BUILT_IN_ROLES = {
  owner: ALL_PERMISSIONS,
  admin: ALL_PERMISSIONS.filter((p) => p !== "org.delete" && p !== "org.billing"),
  manager: [...MEMBER, ...MANAGER_EXTRA],
  member: MEMBER,
  client: [
    "client.read",
    "project.read",
    "task.read",
    "request.create",
    "comment.read",
    "comment.create",
    "comment.update.own",
    "comment.delete.own",
    "file.read",
    "file.upload",
    "org.view",
    "org.leave",
  ],
} as const satisfies Record<string, readonly Permission[]>;

export const BUILT_IN_ROLE_LABELS: Record<BuiltInRole, { name: string; description: string }> = {
  owner: { name: "Owner", description: "Everything, including deleting the organisation. An organisation always keeps one." },
  admin: { name: "Admin", description: "Everything except deleting the organisation and its plan." },
  manager: { name: "Manager", description: "Runs clients, projects, time, invoices and reports; cannot manage members or roles." },
  member: { name: "Member", description: "Works on the projects shared with them or placed in the shared space." },
  client: { name: "Client contact", description: "Sees their own client's shared projects: tasks, comments and requests." },
};

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

export function isBuiltInRole(role: string): role is BuiltInRole {
  return Object.hasOwn(BUILT_IN_ROLES, role);
}

// Custom roles are read per request (a change applies at once); their sets are shared by content.
const customSets = new Map<string, ReadonlySet<Permission>>();
const CUSTOM_SET_CACHE = 500;

/** Parses a custom role's stored list; names no longer in the catalogue grant nothing. */
export function parsePermissionList(json: string): Permission[] {
  try {
    const list: unknown = JSON.parse(json);
    return Array.isArray(list) ? list.filter((p): p is Permission => typeof p === "string" && isPermission(p)) : [];
  } catch {
    return [];
  }
}

/** The permissions of a role key: a built-in name, or a custom role whose stored list is given. */
export function permissionsOf(role: string, customPermissions?: string | null): ReadonlySet<Permission> {
  if (isBuiltInRole(role)) return BUILT_IN_SETS.get(role)!;
  if (customPermissions == null) return NO_PERMISSIONS;
  let set = customSets.get(customPermissions);
  if (!set) {
    if (customSets.size >= CUSTOM_SET_CACHE) customSets.delete(customSets.keys().next().value!);
    customSets.set(customPermissions, (set = new FrozenSet(parsePermissionList(customPermissions))));
  }
  return set;
}
