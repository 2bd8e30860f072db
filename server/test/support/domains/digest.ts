import type { TenantCalls } from "../calls";

export const digestCalls: TenantCalls = {};

export const digestBadInputs = (org: string): Record<string, unknown[]> => ({});
