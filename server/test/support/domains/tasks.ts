import type { TenantCalls } from "../calls";
import type { Seeding } from "../world";

/** Valid inputs for the tasks procedures; the isolation and proof suites call each one. */
export const tasksCalls: TenantCalls = {};

/** Bad inputs for the tasks procedures (see bad-input.test.ts); "$key" names a seeded row of the target. */
export const tasksBadInputs = (_org: string): Record<string, unknown[]> => ({});

/** Adds one row of each tasks kind through the API, and its id to the target. */
export async function seedTasks(_s: Seeding): Promise<void> {}
