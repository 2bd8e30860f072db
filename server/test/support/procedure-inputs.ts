import type { TenantCalls } from "./calls";
import { accessBadInputs, accessCalls } from "./domains/access";
import { filesBadInputs, filesCalls } from "./domains/files";
import { invoicesBadInputs, invoicesCalls } from "./domains/invoices";
import { reportsBadInputs, reportsCalls } from "./domains/reports";
import { tasksBadInputs, tasksCalls } from "./domains/tasks";
import { timeBadInputs, timeCalls } from "./domains/time";
import { webhooksBadInputs, webhooksCalls } from "./domains/webhooks";
import { vaultBadInputs, vaultCalls } from "./domains/vault";
import { exportsBadInputs, exportsCalls } from "./domains/exports";
import { privacyBadInputs, privacyCalls } from "./domains/privacy";
import { digestBadInputs, digestCalls } from "./domains/digest";
import { subjectRequestsBadInputs, subjectRequestsCalls } from "./domains/subject-requests";

export type { Target } from "./world";

/**
 * A valid input for every tenant procedure, aimed at one organisation's rows. The isolation and
 * proof suites call each of these; a tenant procedure missing here fails those suites.
 */
const coreCalls: TenantCalls = {
  "clients.list": { kind: "query", input: (t) => ({ org: t.slug, includeArchived: true }), foreignIds: "answered" },
  "clients.get": { kind: "query", input: (t) => ({ org: t.slug, id: t.clientId }) },
  "clients.create": { kind: "mutation", input: (t) => ({ org: t.slug, name: `New client ${Math.random()}` }), foreignIds: "answered" },
  "clients.update": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.clientId, name: "Renamed" }) },
  "clients.setArchived": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.clientId, archived: true }) },
  "projects.list": {
    kind: "query",
    input: (t) => ({ org: t.slug, clientId: t.clientId, includeArchived: true }),
    foreignIds: "answered",
    project: "list",
  },
  "projects.get": { kind: "query", input: (t) => ({ org: t.slug, id: t.projectId }), project: "target" },
  "projects.create": { kind: "mutation", input: (t) => ({ org: t.slug, clientId: t.clientId, name: `New project ${Math.random()}` }) },
  "projects.update": {
    kind: "mutation",
    input: (t) => ({ org: t.slug, id: t.projectId, name: "Renamed", clientId: t.clientId }),
    project: "target",
  },
  "projects.setArchived": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.projectId, archived: true }), project: "target" },
  "support.createGrant": {
    kind: "mutation",
    input: (t) => ({ org: t.slug, scope: "read", hours: 1, reason: "suite check" }),
    foreignIds: "answered",
  },
  "support.listGrants": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  // No grant has this id anywhere: refusals must come before "not found".
  "support.revokeGrant": { kind: "mutation", input: (t) => ({ org: t.slug, id: "g" + "a".repeat(24) }) },
  "support.activity": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  // Filtered by the target's client: inside another organisation's log this must find nothing.
  "audit.list": { kind: "query", input: (t) => ({ org: t.slug, targetId: t.clientId }), foreignIds: "answered" },
  "settings.get": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  "settings.update": { kind: "mutation", input: (t) => ({ org: t.slug, timeZone: "Europe/Berlin" }), foreignIds: "answered" },
  "audit.export": { kind: "query", input: (t) => ({ org: t.slug, targetId: t.clientId, format: "json" }), foreignIds: "answered" },
};

export const tenantCalls: TenantCalls = {
  ...coreCalls,
  ...accessCalls,
  ...tasksCalls,
  ...timeCalls,
  ...invoicesCalls,
  ...reportsCalls,
  ...vaultCalls,
  ...filesCalls,
  ...webhooksCalls,
  ...exportsCalls,
  ...privacyCalls,
  ...digestCalls,
  ...subjectRequestsCalls,
};

/** Bad inputs of the domains that keep theirs beside their calls; merged into bad-input.test.ts. */
export const domainBadInputs = (org: string): Record<string, unknown[]> => ({
  ...accessBadInputs(org),
  ...filesBadInputs(org),
  ...tasksBadInputs(org),
  ...timeBadInputs(org),
  ...invoicesBadInputs(org),
  ...reportsBadInputs(org),
  ...webhooksBadInputs(org),
  ...vaultBadInputs(org),
  ...exportsBadInputs(org),
  ...privacyBadInputs(org),
  ...digestBadInputs(org),
  ...subjectRequestsBadInputs(org),
});
