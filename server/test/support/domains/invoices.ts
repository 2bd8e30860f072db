import type { TenantCalls } from "../calls";
import type { Seeding } from "../world";

/** Valid inputs for the invoices procedures; the isolation and proof suites call each one. */
export const invoicesCalls: TenantCalls = {};

/** Bad inputs for the invoices procedures (see bad-input.test.ts); "$key" names a seeded row of the target. */
export const invoicesBadInputs = (_org: string): Record<string, unknown[]> => ({});

/** Adds one row of each invoices kind through the API, and its id to the target. */
export async function seedInvoices(_s: Seeding): Promise<void> {}
