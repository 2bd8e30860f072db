import type { TenantCalls } from "../calls";

/** Valid inputs for the digest procedures; the isolation and proof suites call each one. */
export const digestCalls: TenantCalls = {
  "digest.get": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  "digest.set": { kind: "mutation", input: (t) => ({ org: t.slug, optIn: true }), foreignIds: "answered" },
  "digest.projectReport": {
    kind: "query",
    input: (t) => ({ org: t.slug, projectId: t.projectId, from: "2020-01-01", to: "2020-12-31" }),
    project: "target",
  },
};

/**
 * Bad inputs for the digest procedures (see bad-input.test.ts). `settings.update` is listed whole,
 * its older cases included: this spread comes after bad-input.test.ts's own list and replaces it.
 */
export const digestBadInputs = (org: string): Record<string, unknown[]> => {
  const ok = { org };
  const report = { ...ok, projectId: "$projectId" };
  return {
    "digest.get": [{}, { org: "Not A Slug" }],
    "digest.set": [{ ...ok }, { ...ok, optIn: "yes" }, { ...ok, optIn: 1 }],
    "digest.unsubscribe": [
      {},
      { token: 5 },
      { token: "short" },
      { token: `t${"a".repeat(24)}_u${"b".repeat(24)}_${"c".repeat(42)}` },
      { token: "x".repeat(300) },
    ],
    "digest.projectReport": [
      { ...report },
      { ...report, from: "2024-05-01" },
      { ...report, from: "2024-02-30", to: "2024-03-01" },
      { ...report, from: "2024-05-02", to: "2024-05-01" },
      { ...report, from: "2024-01-01", to: "2025-01-01" },
      { ...ok, projectId: "$clientId", from: "2024-05-01", to: "2024-05-02" },
    ],
    "settings.update": [
      { ...ok, timeZone: "Mars/Olympus" },
      { ...ok, currency: "EURO" },
      { ...ok, weekStart: 8 },
      { ...ok, weekStart: 1.5 },
      { ...ok, auditRetentionDays: 29 },
      { ...ok, auditRetentionDays: 3651 },
      { ...ok, auditRetentionDays: 90.5 },
      { ...ok, auditRetentionDays: "365" },
      { ...ok, digestHour: 24 },
      { ...ok, digestHour: -1 },
      { ...ok, digestHour: 7.5 },
    ],
  };
};
