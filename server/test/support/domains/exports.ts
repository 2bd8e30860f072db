import type { TenantCalls } from "../calls";

export const exportsCalls: TenantCalls = {};

export const exportsBadInputs = (org: string): Record<string, unknown[]> => ({});
