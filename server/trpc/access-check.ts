import type { AnyRouter } from "@trpc/server";
import type { Meta } from "./init";
import { tenantContext } from "./tenant-context";

export interface ProcedureDef {
  meta?: Meta;
  type: "query" | "mutation" | "subscription";
  inputs: unknown[];
  middlewares: unknown[];
}

/** The flattened procedure table ("clients.list" → its definition) that the checks and suites walk. */
export function procedureDefs(router: AnyRouter): Record<string, ProcedureDef> {
  const all = router._def.procedures as Record<string, { _def: ProcedureDef }>;
  return Object.fromEntries(Object.entries(all).map(([path, p]) => [path, p._def]));
}

function procedures(router: AnyRouter) {
  return Object.entries(procedureDefs(router));
}

const tenantDoor = new Set<unknown>(tenantContext._middlewares);

/** Paths of procedures that go through the tenant door; the isolation and proof suites walk these. */
export function tenantProcedurePaths(router: AnyRouter): string[] {
  return procedures(router)
    .filter(([, p]) => p.middlewares.some((m) => tenantDoor.has(m)))
    .map(([path]) => path);
}

/**
 * Deny by default, checked before the server listens: a tenant procedure names a permission, any
 * other procedure says `access`. Returns the offenders so a test can list them.
 */
export function proceduresWithoutAccess(router: AnyRouter): string[] {
  const tenant = new Set(tenantProcedurePaths(router));
  return procedures(router)
    .filter(([path, p]) => (tenant.has(path) ? !p.meta?.permission : !p.meta?.access && !p.meta?.permission))
    .map(([path]) => path);
}

export function assertEveryProcedureDeclaresAccess(router: AnyRouter) {
  const missing = proceduresWithoutAccess(router);
  if (missing.length) throw new Error(`procedures without a declared permission or access: ${missing.join(", ")}`);
}
