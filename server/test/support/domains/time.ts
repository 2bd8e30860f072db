import type { TenantCalls } from "../calls";
import type { Seeding } from "../world";

/** Valid inputs for the time procedures; the isolation and proof suites call each one. */
export const timeCalls: TenantCalls = {};

/** Bad inputs for the time procedures (see bad-input.test.ts); "$key" names a seeded row of the target. */
export const timeBadInputs = (_org: string): Record<string, unknown[]> => ({});

/** Adds one row of each time kind through the API, and its id to the target. */
export async function seedTime(_s: Seeding): Promise<void> {}
