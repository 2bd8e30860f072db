import type { TenantCalls } from "../calls";
import type { Seeding } from "../world";

/** Valid inputs for the credentials vault: connected services and servers (with their logs). */
export const vaultCalls: TenantCalls = {
  "connections.list": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  "connections.get": { kind: "query", input: (t) => ({ org: t.slug, id: t.connectionId }) },
  "connections.create": {
    kind: "mutation",
    input: (t) => ({
      org: t.slug,
      kind: "github",
      name: "Suite GitHub",
      credential: { type: "api_key", apiKey: "ghp_suite-created-secret-0000" },
    }),
    foreignIds: "answered",
  },
  "connections.update": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.connectionId, name: "Renamed service" }) },
  "connections.delete": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.connectionId }) },
  "servers.list": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  "servers.get": { kind: "query", input: (t) => ({ org: t.slug, id: t.serverId }) },
  "servers.create": {
    kind: "mutation",
    input: (t) => ({
      org: t.slug,
      name: "Suite server",
      host: "suite.example.test",
      environment: "staging",
      credential: { type: "basic", username: "deploy", password: "suite-created-password" },
    }),
    foreignIds: "answered",
  },
  "servers.update": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.serverId, environment: "production" }) },
  "servers.delete": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.serverId }) },
  "servers.appendLog": {
    kind: "mutation",
    input: (t) => ({ org: t.slug, serverId: t.serverId, action: "deploy", outcome: "success", log: "done" }),
  },
  "servers.logs": { kind: "query", input: (t) => ({ org: t.slug, serverId: t.serverId }) },
};

const long = (n: number) => "x".repeat(n);
const key = { type: "api_key", apiKey: "k".repeat(20) };

export const vaultBadInputs = (org: string): Record<string, unknown[]> => ({
  "connections.list": [{}, { org: "No Slug" }],
  "connections.get": [{ org }, { org, id: "$serverId" }, { org, id: 5 }],
  "connections.create": [
    { org, kind: "github", name: "No credential" },
    { org, kind: "myspace", name: "Ok", credential: key },
    { org, kind: "github", name: "", credential: key },
    { org, kind: "github", name: "Ok", credential: { type: "api_key", apiKey: "" } },
    { org, kind: "github", name: "Ok", credential: { type: "api_key", apiKey: long(4097) } },
    { org, kind: "github", name: "Ok", credential: { type: "password", secret: "x" } },
    { org, kind: "github", name: "Ok", credential: { type: "oauth", refreshToken: "r".repeat(20) } },
    { org, kind: "github", name: "Ok", credential: { type: "oauth", accessToken: "a".repeat(20), expiresAt: 1.5 } },
    { org, kind: "github", name: "Ok", credential: "plain-string-secret" },
    { org, kind: "github", name: "Ok", baseUrl: "javascript:alert(1)", credential: key },
    { org, kind: "github", name: "Ok", baseUrl: "not a url", credential: key },
  ],
  "connections.update": [
    { org, id: "$connectionId", kind: "x" },
    { org, id: "bad", name: "Ok" },
    { org, id: "$connectionId", credential: { type: "basic", username: "u" } },
    { org, id: "$connectionId", name: long(201) },
  ],
  "connections.delete": [{ org }, { org, id: "$clientId" }],
  "servers.list": [{ org: 1 }],
  "servers.get": [{ org }, { org, id: "$connectionId" }],
  "servers.create": [
    { org, name: "Ok", host: "h.test", environment: "staging" },
    { org, name: "Ok", host: "h.test", environment: "moon", credential: key },
    { org, name: "Ok", host: "bad host; rm -rf /", environment: "staging", credential: key },
    { org, name: "Ok", host: "", environment: "staging", credential: key },
    { org, name: "Ok", host: "h.test", environment: "staging", credential: { type: "oauth", accessToken: "a".repeat(20) } },
    { org, name: "Ok", host: "h.test", environment: "staging", credential: { type: "ssh_key", privateKey: long(16_385) } },
  ],
  "servers.update": [
    { org, id: "$serverId", environment: "prod" },
    { org, id: "$serverId", host: long(254) },
    { org, id: "$serverId", credential: { type: "api_key" } },
  ],
  "servers.delete": [{ org, id: "../h" }],
  "servers.appendLog": [
    { org, serverId: "$serverId", outcome: "success" },
    { org, serverId: "$serverId", action: "deploy", outcome: "maybe" },
    { org, serverId: "$serverId", action: "deploy", outcome: "success", log: long(100 * 1024 + 1) },
    { org, serverId: "$serverId", action: "deploy", outcome: "success", log: "é".repeat(60 * 1024) },
    { org, serverId: "$connectionId", action: "deploy", outcome: "success" },
    { org, serverId: "$serverId", action: long(201), outcome: "success" },
  ],
  "servers.logs": [
    { org },
    { org, serverId: "$serverId", limit: 0 },
    { org, serverId: "$serverId", limit: 101 },
    { org, serverId: "$serverId", beforeId: "x" },
  ],
});

/** One connected service (t.connectionId) and one server with one log entry (t.serverId). */
export async function seedVault({ owner, target }: Seeding): Promise<void> {
  const org = target.slug;
  const service = await owner.mutate("connections.create", {
    org,
    kind: "stripe",
    name: "Seeded Stripe",
    baseUrl: "https://api.stripe.com",
    credential: { type: "api_key", apiKey: "sk_test_seeded-secret-value-1234" },
  });
  if (service.status !== 200) throw new Error(`seed connection: ${JSON.stringify(service.error)}`);
  target.connectionId = service.data.id;
  const server = await owner.mutate("servers.create", {
    org,
    name: "Seeded server",
    host: "10.0.0.5:22",
    environment: "production",
    credential: { type: "basic", username: "deploy", password: "seeded-server-password" },
  });
  if (server.status !== 200) throw new Error(`seed server: ${JSON.stringify(server.error)}`);
  target.serverId = server.data.id;
  const log = await owner.mutate("servers.appendLog", {
    org,
    serverId: server.data.id,
    action: "deploy v1",
    outcome: "success",
    log: "deployed",
  });
  if (log.status !== 200) throw new Error(`seed server log: ${JSON.stringify(log.error)}`);
}
