/**
 * A valid input for every tenant procedure, aimed at one organisation's rows. The isolation and
 * permission suites call each of these; a tenant procedure missing here fails those suites.
 */
export interface Target {
  slug: string;
  clientId: string;
  projectId: string;
}

export const tenantCalls: Record<string, { kind: "query" | "mutation"; input: (t: Target) => Record<string, unknown> }> = {
  "clients.list": { kind: "query", input: (t) => ({ org: t.slug, includeArchived: true }) },
  "clients.get": { kind: "query", input: (t) => ({ org: t.slug, id: t.clientId }) },
  "clients.create": { kind: "mutation", input: (t) => ({ org: t.slug, name: `New client ${Math.random()}` }) },
  "clients.update": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.clientId, name: "Renamed" }) },
  "clients.setArchived": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.clientId, archived: true }) },
  "projects.list": { kind: "query", input: (t) => ({ org: t.slug, clientId: t.clientId, includeArchived: true }) },
  "projects.get": { kind: "query", input: (t) => ({ org: t.slug, id: t.projectId }) },
  "projects.create": { kind: "mutation", input: (t) => ({ org: t.slug, clientId: t.clientId, name: `New project ${Math.random()}` }) },
  "projects.update": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.projectId, name: "Renamed", clientId: t.clientId }) },
  "projects.setArchived": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.projectId, archived: true }) },
  "support.createGrant": { kind: "mutation", input: (t) => ({ org: t.slug, scope: "read", hours: 1, reason: "suite check" }) },
  "support.listGrants": { kind: "query", input: (t) => ({ org: t.slug }) },
  // No grant has this id anywhere: refusals must come before "not found".
  "support.revokeGrant": { kind: "mutation", input: (t) => ({ org: t.slug, id: "g" + "a".repeat(24) }) },
  "support.activity": { kind: "query", input: (t) => ({ org: t.slug }) },
  // Filtered by the target's client: inside another organisation's log this must find nothing.
  "audit.list": { kind: "query", input: (t) => ({ org: t.slug, targetId: t.clientId }) },
  "audit.export": { kind: "query", input: (t) => ({ org: t.slug, targetId: t.clientId, format: "json" }) },
};
