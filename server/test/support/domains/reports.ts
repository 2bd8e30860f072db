import type { TenantCalls } from "../calls";

/**
 * A range around today, so it holds whatever time the other seeders add (less than the 3-year limit).
 * Only the inputs use the date; no suite asserts anything about it.
 */
function around() {
  const today = new Date();
  const shift = (months: number) => new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + months, 1)).toISOString().slice(0, 10);
  return { from: shift(-24), to: shift(11) };
}

/**
 * Valid inputs for the reports and the dashboard. Every one answers about many projects ("list"):
 * a caller who cannot see the target project must get an answer without it. Named foreign ids
 * (another organisation's client) are answered with nothing in them.
 */
export const reportsCalls: TenantCalls = {
  "reports.hours": {
    kind: "query",
    input: (t) => ({ org: t.slug, ...around(), groupBy: "project", clientId: t.clientId }),
    foreignIds: "answered",
    project: "list",
  },
  "reports.budgets": { kind: "query", input: (t) => ({ org: t.slug, clientId: t.clientId }), foreignIds: "answered", project: "list" },
  "reports.utilisation": {
    kind: "query",
    input: (t) => ({ org: t.slug, ...around(), projectId: t.projectId }),
    foreignIds: "answered",
    project: "list",
  },
  "reports.unbilled": { kind: "query", input: (t) => ({ org: t.slug, clientId: t.clientId }), foreignIds: "answered", project: "list" },
  "reports.financials": {
    kind: "query",
    input: (t) => ({ org: t.slug, ...around(), clientId: t.clientId }),
    foreignIds: "answered",
    project: "list",
  },
  "reports.export": {
    kind: "query",
    input: (t) => ({ org: t.slug, report: "hours", groupBy: "project", ...around(), clientId: t.clientId }),
    foreignIds: "answered",
    project: "list",
  },
  "dashboard.summary": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered", project: "list" },
};

/** Bad inputs for the reports (see bad-input.test.ts); "$key" names a seeded row of the target. */
export const reportsBadInputs = (org: string): Record<string, unknown[]> => ({
  "reports.hours": [
    { org, from: "2024-02-30", to: "2024-03-31" },
    { org, from: "2024-05-02", to: "2024-05-01" },
    { org, from: "2024-01-01", to: "2027-01-01" },
    { org, from: "2024-01-01", to: "2024-01-31", groupBy: "day" },
    { org, from: "x", to: "y" },
  ],
  "reports.budgets": [
    { org, clientId: "x" },
    { org, projectId: "$clientId" },
    { org, memberId: 5 },
  ],
  "reports.utilisation": [{ org }, { org, from: "2024-01-01" }, { org, from: "2024-01-01", to: "2024-01-31", memberId: "$projectId" }],
  "reports.unbilled": [
    { org, from: "2024-01-01" },
    { org, to: "yesterday" },
    { org, clientId: 5 },
  ],
  "reports.financials": [
    { org, from: "2024-01-01", to: "2027-06-01" },
    { org, projectId: "' or 1=1 --" },
    { org, from: 1_700_000_000_000, to: 1_800_000_000_000 },
  ],
  "reports.export": [
    { org },
    { org, report: "pdf" },
    { org, report: "hours" },
    { org, report: "utilisation", from: "2024-05-02", to: "2024-05-01" },
    { org, report: "unbilled", from: "not a date", to: "2024-05-01" },
  ],
  "dashboard.summary": [{}, { org: "../x" }],
});
