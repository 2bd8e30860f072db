import type { TenantCalls } from "../calls";
import type { Seeding } from "../world";

/** Valid inputs for the access procedures; the isolation and proof suites call each one. */
export const accessCalls: TenantCalls = {};

/** Bad inputs for the access procedures (see bad-input.test.ts); "$key" names a seeded row of the target. */
export const accessBadInputs = (_org: string): Record<string, unknown[]> => ({});

/** Adds one row of each access kind through the API, and its id to the target. */
export async function seedAccess(_s: Seeding): Promise<void> {}
