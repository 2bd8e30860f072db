import type { TenantCalls } from "../calls";

export const privacyCalls: TenantCalls = {};

export const privacyBadInputs = (org: string): Record<string, unknown[]> => ({});
