import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInTenant } from "../../db/tenant/context";
import type { VaultTable } from "../../db/tenant/vault/vault";
import { FULL_ACCESS } from "../../db/tenant/visibility";
import { DecryptError } from "../crypto/envelope";
import type { Actor } from "../trpc/tenant-context";
import { NoSuchSecretError, revealSecret } from "../vault/secrets";
import { inviteMember, userWithOrg } from "./support/accounts";
import type { CallResult, Client } from "./support/client";
import { startInstance, type Instance } from "./support/instance";
import { tenantRows } from "./support/tenant-files";

/**
 * The credentials vault over real HTTP: secrets go in and never come out of the API (only a mask and
 * the last 4 characters), are sealed in the tenant file, come back only through revealSecret (audited),
 * and a sealed value moved to another row or organisation does not open.
 */

let instance: Instance;
let a: Awaited<ReturnType<typeof userWithOrg>>;
let b: Awaited<ReturnType<typeof userWithOrg>>;
let manager: Client;
let member: Client;

/** Every plaintext secret handed to the API, and every answer it gave: none may contain one. */
const secrets: string[] = [];
const answers: string[] = [];
const secret = (tag: string) => {
  const value = `${tag}-${randomBytes(12).toString("hex")}-WXYZ`;
  secrets.push(value);
  return value;
};
async function q(client: Client, path: string, input: unknown): Promise<CallResult> {
  const res = await client.query(path, input);
  answers.push(JSON.stringify({ data: res.data, error: res.error }));
  return res;
}
async function m(client: Client, path: string, input: unknown): Promise<CallResult> {
  const res = await client.mutate(path, input);
  answers.push(JSON.stringify({ data: res.data, error: res.error }));
  return res;
}

const SYSTEM: Actor = { kind: "system", id: "vault-test", ip: "127.0.0.1", userAgent: null };

/** Runs server code inside an organisation, as a job would. */
async function inTenant<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
  const lease = await instance.services.pool.acquire(tenantId);
  try {
    return await runInTenant({ tenantId, db: lease.db, access: FULL_ACCESS }, fn);
  } finally {
    lease.release();
  }
}
const reveal = (tenantId: string, table: VaultTable, id: string, purpose = "test deployment") =>
  inTenant(tenantId, () => revealSecret({ services: instance.services, actor: SYSTEM }, table, id, purpose));

async function rawSecret(tenantId: string, table: VaultTable, id: string) {
  const lease = await instance.services.pool.acquire(tenantId);
  try {
    return Buffer.from((await lease.db.selectFrom(table).select("secret").where("id", "=", id).executeTakeFirstOrThrow()).secret);
  } finally {
    lease.release();
  }
}
async function setRawSecret(tenantId: string, table: VaultTable, id: string, blob: Buffer) {
  const lease = await instance.services.pool.acquire(tenantId);
  try {
    await lease.db.updateTable(table).set({ secret: blob }).where("id", "=", id).execute();
  } finally {
    lease.release();
  }
}

const auditOf = (tenantId: string) =>
  tenantRows<{ action: string; target_id: string | null; actor_kind: string; detail: string }>(
    instance.dataDir,
    tenantId,
    "select action, target_id, actor_kind, detail from audit_log order by id",
  );

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

beforeAll(async () => {
  instance = await startInstance();
  a = await userWithOrg(instance, "vault-a");
  b = await userWithOrg(instance, "vault-b");
  manager = (await inviteMember(instance, a.client, a.slug, "manager", { name: "Manager" })).client;
  member = (await inviteMember(instance, a.client, a.slug, "member", { name: "Member" })).client;
}, 60_000);
afterAll(() => instance.stop());

describe("connected services", () => {
  let apiKey: string;
  let serviceId: string;

  it("creates, lists and gets a service, answering only a mask and the last 4 characters", async () => {
    apiKey = secret("sk_live");
    const created = await m(a.client, "connections.create", {
      org: a.slug,
      kind: "stripe",
      name: "Stripe",
      baseUrl: "https://api.stripe.com",
      credential: { type: "api_key", apiKey },
    });
    expect(created.status, JSON.stringify(created.error)).toBe(200);
    serviceId = created.data.id;
    expect(created.data).toEqual({
      id: expect.stringMatching(/^s[a-z2-7]{24}$/),
      kind: "stripe",
      name: "Stripe",
      baseUrl: "https://api.stripe.com",
      credentialType: "api_key",
      secretHint: "••••WXYZ",
      oauthExpiresAt: null,
      createdAt: expect.any(Number),
      updatedAt: expect.any(Number),
    });
    const listed = await q(a.client, "connections.list", { org: a.slug });
    expect(listed.data.map((s: { id: string }) => s.id)).toEqual([serviceId]);
    expect(Object.keys(listed.data[0]).sort()).toEqual(Object.keys(created.data).sort());
    expect((await q(a.client, "connections.get", { org: a.slug, id: serviceId })).data).toEqual(created.data);
    expect(await reveal(a.tenantId, "connected_services", serviceId)).toEqual({ type: "api_key", apiKey });
  });

  it("seals an OAuth pair as one value and keeps its expiry in clear", async () => {
    const accessToken = secret("gho_access");
    const refreshToken = secret("ghr_refresh");
    const expiresAt = Date.UTC(2031, 0, 1);
    const created = await m(a.client, "connections.create", {
      org: a.slug,
      kind: "github",
      name: "GitHub",
      credential: { type: "oauth", accessToken, refreshToken, expiresAt },
    });
    expect(created.status, JSON.stringify(created.error)).toBe(200);
    expect(created.data).toMatchObject({ credentialType: "oauth", oauthExpiresAt: expiresAt, secretHint: "••••WXYZ" });
    expect(await reveal(a.tenantId, "connected_services", created.data.id)).toEqual({ type: "oauth", accessToken, refreshToken });
  });

  it("shows no characters of a short secret", async () => {
    const created = await m(a.client, "connections.create", {
      org: a.slug,
      kind: "other",
      name: "Short",
      credential: { type: "basic", username: "admin", password: "hunter2" },
    });
    expect(created.data.secretHint).toBe("••••");
  });

  it("keeps the secret on an update without one, and replaces it when a new one is given", async () => {
    const renamed = await m(a.client, "connections.update", { org: a.slug, id: serviceId, name: "Stripe live" });
    expect(renamed.status).toBe(200);
    expect(renamed.data).toMatchObject({ name: "Stripe live", secretHint: "••••WXYZ", baseUrl: "https://api.stripe.com" });
    expect(await reveal(a.tenantId, "connected_services", serviceId)).toEqual({ type: "api_key", apiKey });

    const before = await rawSecret(a.tenantId, "connected_services", serviceId);
    const next = `${secret("sk_live_rotated")}9876`;
    secrets.push(next);
    const replaced = await m(a.client, "connections.update", { org: a.slug, id: serviceId, credential: { type: "api_key", apiKey: next } });
    expect(replaced.status).toBe(200);
    expect(replaced.data).toMatchObject({ name: "Stripe live", secretHint: "••••9876" });
    expect(await reveal(a.tenantId, "connected_services", serviceId)).toEqual({ type: "api_key", apiKey: next });
    expect((await rawSecret(a.tenantId, "connected_services", serviceId)).equals(before)).toBe(false);

    const updates = auditOf(a.tenantId).filter((r) => r.action === "connection.update" && r.target_id === serviceId);
    expect(updates.map((r) => JSON.parse(r.detail).secretReplaced)).toEqual([false, true]);
  });

  it("audits every reveal with its purpose and never the value", async () => {
    await reveal(a.tenantId, "connected_services", serviceId, "nightly invoice sync");
    const reads = auditOf(a.tenantId).filter((r) => r.action === "vault.secret_read" && r.target_id === serviceId);
    expect(reads.length).toBeGreaterThanOrEqual(3);
    expect(reads.at(-1)).toMatchObject({ actor_kind: "system" });
    expect(JSON.parse(reads.at(-1)!.detail)).toEqual({ purpose: "nightly invoice sync", outcome: "success" });
  });

  it("refuses a ciphertext copied to another row or another organisation, and audits the failed read", async () => {
    const other = await m(a.client, "connections.create", {
      org: a.slug,
      kind: "slack",
      name: "Slack",
      credential: { type: "api_key", apiKey: secret("xoxb") },
    });
    const sealed = await rawSecret(a.tenantId, "connected_services", serviceId);
    await setRawSecret(a.tenantId, "connected_services", other.data.id, sealed);
    await expect(reveal(a.tenantId, "connected_services", other.data.id)).rejects.toBeInstanceOf(DecryptError);
    const failed = auditOf(a.tenantId).filter((r) => r.action === "vault.secret_read" && r.target_id === other.data.id);
    expect(JSON.parse(failed.at(-1)!.detail)).toMatchObject({ outcome: "failure" });

    // The same row id in another organisation: different data key and AAD.
    const inB = await m(b.client, "connections.create", {
      org: b.slug,
      kind: "slack",
      name: "Slack",
      credential: { type: "api_key", apiKey: secret("xoxb-b") },
    });
    await setRawSecret(b.tenantId, "connected_services", inB.data.id, sealed);
    await expect(reveal(b.tenantId, "connected_services", inB.data.id)).rejects.toBeInstanceOf(DecryptError);
    // And the original still opens where it belongs.
    expect(await reveal(a.tenantId, "connected_services", serviceId)).toMatchObject({ type: "api_key" });
  });

  it("refuses another organisation's ids", async () => {
    const inB = await m(b.client, "connections.create", {
      org: b.slug,
      kind: "aws",
      name: "AWS of B",
      credential: { type: "api_key", apiKey: secret("AKIA") },
    });
    expect((await q(a.client, "connections.get", { org: a.slug, id: inB.data.id })).status).toBe(404);
    expect((await m(a.client, "connections.update", { org: a.slug, id: inB.data.id, name: "Stolen" })).status).toBe(404);
    expect((await m(a.client, "connections.delete", { org: a.slug, id: inB.data.id })).status).toBe(404);
    expect((await q(a.client, "connections.get", { org: b.slug, id: inB.data.id })).status).toBe(404);
    expect((await q(b.client, "connections.get", { org: b.slug, id: inB.data.id })).data.name).toBe("AWS of B");
  });

  it("lets a manager read but not manage, and a member do neither", async () => {
    expect((await q(manager, "connections.list", { org: a.slug })).status).toBe(200);
    const create = await m(manager, "connections.create", {
      org: a.slug,
      kind: "github",
      name: "Nope",
      credential: { type: "api_key", apiKey: secret("ghp_manager") },
    });
    expect(create.status).toBe(403);
    expect(create.error?.message).toContain("needs integration.manage");
    const update = await m(manager, "connections.update", {
      org: a.slug,
      id: serviceId,
      credential: { type: "api_key", apiKey: secret("ghp_manager2") },
    });
    expect(update.status).toBe(403);
    expect((await m(manager, "connections.delete", { org: a.slug, id: serviceId })).status).toBe(403);
    const list = await q(member, "connections.list", { org: a.slug });
    expect(list.status).toBe(403);
    expect(list.error?.message).toContain("needs integration.read");
    expect(await reveal(a.tenantId, "connected_services", serviceId)).toMatchObject({ type: "api_key" });
  });

  it("deletes a service, and its secret with it", async () => {
    const gone = await m(a.client, "connections.create", {
      org: a.slug,
      kind: "google",
      name: "To delete",
      credential: { type: "api_key", apiKey: secret("AIza") },
    });
    expect((await m(a.client, "connections.delete", { org: a.slug, id: gone.data.id })).status).toBe(200);
    expect((await q(a.client, "connections.get", { org: a.slug, id: gone.data.id })).status).toBe(404);
    await expect(reveal(a.tenantId, "connected_services", gone.data.id)).rejects.toBeInstanceOf(NoSuchSecretError);
    expect(auditOf(a.tenantId).some((r) => r.action === "connection.delete" && r.target_id === gone.data.id)).toBe(true);
  });
});

describe("servers", () => {
  let serverId: string;
  let privateKey: string;

  it("creates a server with an SSH key, masked, and revealable only by server code", async () => {
    privateKey = `-----BEGIN OPENSSH PRIVATE KEY-----\n${secret("b3BlbnNzaC1rZXk")}\n-----END OPENSSH PRIVATE KEY-----\n`;
    const created = await m(a.client, "servers.create", {
      org: a.slug,
      name: "web-1",
      host: "web-1.example.test:2222",
      environment: "production",
      credential: { type: "ssh_key", privateKey },
    });
    expect(created.status, JSON.stringify(created.error)).toBe(200);
    serverId = created.data.id;
    expect(created.data).toMatchObject({
      id: expect.stringMatching(/^h[a-z2-7]{24}$/),
      host: "web-1.example.test:2222",
      credentialType: "ssh_key",
      secretHint: "••••WXYZ",
    });
    expect(Object.keys(created.data)).not.toContain("secret");
    expect((await q(a.client, "servers.list", { org: a.slug })).data).toEqual([created.data]);
    expect(await reveal(a.tenantId, "servers", serverId, "deploy web-1")).toEqual({ type: "ssh_key", privateKey, passphrase: null });
  });

  it("keeps the key on an update without one and replaces it with a new credential", async () => {
    const moved = await m(a.client, "servers.update", { org: a.slug, id: serverId, environment: "staging" });
    expect(moved.data).toMatchObject({ environment: "staging", credentialType: "ssh_key", secretHint: "••••WXYZ" });
    expect(await reveal(a.tenantId, "servers", serverId)).toMatchObject({ privateKey });
    const password = secret("server-password");
    const replaced = await m(a.client, "servers.update", {
      org: a.slug,
      id: serverId,
      credential: { type: "basic", username: "deploy", password },
    });
    expect(replaced.data).toMatchObject({ credentialType: "basic", secretHint: "••••WXYZ" });
    expect(await reveal(a.tenantId, "servers", serverId)).toEqual({ type: "basic", username: "deploy", password });
  });

  it("appends operation logs (who, when, what, outcome, text) and lists them newest first", async () => {
    const first = await m(a.client, "servers.appendLog", {
      org: a.slug,
      serverId,
      action: "deploy v1.2.0",
      outcome: "running",
      log: "pulling image…",
    });
    expect(first.status, JSON.stringify(first.error)).toBe(200);
    const big = "L".repeat(100 * 1024);
    const second = await m(a.client, "servers.appendLog", { org: a.slug, serverId, action: "deploy v1.2.0", outcome: "success", log: big });
    expect(second.status).toBe(200);
    const logs = await q(a.client, "servers.logs", { org: a.slug, serverId });
    expect(logs.data.map((l: { id: number }) => l.id)).toEqual([second.data.id, first.data.id]);
    expect(logs.data[1]).toMatchObject({
      action: "deploy v1.2.0",
      outcome: "running",
      log: "pulling image…",
      actorId: expect.any(String),
      at: expect.any(Number),
    });
    expect(logs.data[0].log).toHaveLength(100 * 1024);
    const page = await q(a.client, "servers.logs", { org: a.slug, serverId, limit: 1, beforeId: second.data.id });
    expect(page.data.map((l: { id: number }) => l.id)).toEqual([first.data.id]);

    expect((await m(manager, "servers.appendLog", { org: a.slug, serverId, action: "x", outcome: "failure" })).status).toBe(403);
    expect((await q(manager, "servers.logs", { org: a.slug, serverId })).status).toBe(200);
    expect((await q(member, "servers.logs", { org: a.slug, serverId })).status).toBe(403);
  });

  it("refuses another organisation's server ids", async () => {
    const inB = await m(b.client, "servers.create", {
      org: b.slug,
      name: "db-b",
      host: "10.1.1.1",
      environment: "production",
      credential: { type: "api_key", apiKey: secret("b-server-key") },
    });
    expect((await q(a.client, "servers.get", { org: a.slug, id: inB.data.id })).status).toBe(404);
    expect((await q(a.client, "servers.logs", { org: a.slug, serverId: inB.data.id })).status).toBe(404);
    expect((await m(a.client, "servers.appendLog", { org: a.slug, serverId: inB.data.id, action: "x", outcome: "success" })).status).toBe(
      404,
    );
    expect((await m(a.client, "servers.delete", { org: a.slug, id: inB.data.id })).status).toBe(404);
    expect(tenantRows(instance.dataDir, b.tenantId, "select id from server_logs")).toEqual([]);
  });

  it("deletes a server with its logs", async () => {
    expect((await m(a.client, "servers.delete", { org: a.slug, id: serverId })).status).toBe(200);
    expect((await q(a.client, "servers.get", { org: a.slug, id: serverId })).status).toBe(404);
    expect(tenantRows(instance.dataDir, a.tenantId, `select id from server_logs where server_id = '${serverId}'`)).toEqual([]);
  });
});

describe("no secret leaves the vault", () => {
  it("appears in no API answer, audit detail or log line", () => {
    expect(secrets.length).toBeGreaterThan(10);
    const audit = [...auditOf(a.tenantId), ...auditOf(b.tenantId)].map((r) => r.detail).join("\n");
    expect(audit).toContain("nightly invoice sync");
    const logs = instance.logs.join("\n");
    for (const s of secrets) {
      for (const answer of answers) expect(answer).not.toContain(s);
      expect(audit).not.toContain(s);
      expect(logs).not.toContain(s);
    }
  });

  it("is not in plaintext in any file of the data directory (tenant files, their WAL, the control DB)", async () => {
    await instance.services.pool.closeAll();
    const files = filesUnder(instance.dataDir);
    expect(files.some((f) => f.includes(a.tenantId))).toBe(true);
    const bytes = files.map((f) => readFileSync(f));
    // The scan does see clear text that is stored (an audit detail), so an absence below means something.
    expect(bytes.some((content) => content.includes(Buffer.from("nightly invoice sync", "utf8")))).toBe(true);
    for (const s of secrets) {
      // Also any 12-character piece of the random part, in case a secret were stored split or escaped.
      const needles = [s, s.slice(-16, -4)];
      for (const needle of needles) for (const content of bytes) expect(content.includes(Buffer.from(needle, "utf8"))).toBe(false);
    }
  });
});
