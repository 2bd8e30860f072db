import { AsyncLocalStorage } from "node:async_hooks";
import type { Kysely, Transaction } from "kysely";
import type { TenantDB } from "./schema";
import type { ProjectAccess } from "./visibility";

/** Raised when tenant code runs with no tenant in context: there is no global handle to fall back on. */
export class NoTenantError extends Error {
  override name = "NoTenantError";
  constructor() {
    super("tenant code ran outside a tenant context");
  }
}

export interface TenantScope {
  tenantId: string;
  db: Kysely<TenantDB>;
  /** Which projects the caller may see; every query touching projects filters by it. */
  access: ProjectAccess;
}

const scope = new AsyncLocalStorage<TenantScope>();

export function runInTenant<T>(tenant: TenantScope, fn: () => T): T {
  return scope.run(tenant, fn);
}

export function currentTenant(): TenantScope {
  const tenant = scope.getStore();
  if (!tenant) throw new NoTenantError();
  return tenant;
}

/** The tenant's handle, or its open transaction when called inside `inTenantTransaction`. */
export function tenantDb(): Kysely<TenantDB> {
  return currentTenant().db;
}

/** One BEGIN IMMEDIATE transaction; tenant code inside it sees the transaction through tenantDb(). */
export function inTenantTransaction<T>(fn: (trx: Transaction<TenantDB>) => Promise<T>): Promise<T> {
  const tenant = currentTenant();
  return tenant.db.transaction().execute((trx) => scope.run({ ...tenant, db: trx }, () => fn(trx)));
}
