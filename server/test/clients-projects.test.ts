import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { userWithOrg } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import { tenantRows } from "./support/tenant-files";

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
const org = "domain-org";

interface AuditRow {
  actor_kind: string;
  actor_id: string;
  ip: string;
  user_agent: string;
  action: string;
  target_type: string;
  target_id: string;
  detail: string;
}

const auditRows = () => tenantRows<AuditRow>(instance.dataDir, owner.tenantId, "select * from audit_log order by id");

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, org);
});
afterAll(() => instance.stop());

describe("organisations", () => {
  it("creates a tenant file with its owner and a first audit row, and lists it for the owner only", async () => {
    const members = tenantRows<{ role: string; email: string }>(instance.dataDir, owner.tenantId, "select role, email from members");
    expect(members).toEqual([{ role: "owner", email: owner.email }]);
    expect(auditRows()[0]).toMatchObject({ action: "org.create", actor_kind: "user", ip: "127.0.0.1" });
    const mine = await owner.client.query("orgs.mine");
    expect(mine.data.map((o: { slug: string }) => o.slug)).toEqual([org]);
    const tenant = await instance.services.control.selectFrom("tenants").selectAll().where("slug", "=", org).executeTakeFirstOrThrow();
    expect(tenant).toMatchObject({ status: "active", file_name: `${tenant.id}.sqlite` });
  });

  it("lets one user belong to several organisations", async () => {
    const second = await owner.client.mutate("orgs.create", { name: "Second", slug: "domain-second" });
    expect(second.status).toBe(200);
    const mine = await owner.client.query("orgs.mine");
    expect(mine.data.map((o: { slug: string }) => o.slug).sort()).toEqual(["domain-org", "domain-second"]);
  });
});

describe("clients", () => {
  it("creates, edits and archives a client, auditing each change with actor, IP and user agent", async () => {
    const before = auditRows().length;
    const created = await owner.client.mutate("clients.create", { org, name: "Acme", contactEmail: "Billing@Acme.test", notes: "VIP" });
    expect(created.data).toMatchObject({ name: "Acme", contact_email: "billing@acme.test", notes: "VIP", archived_at: null });
    const id = created.data.id;

    const renamed = await owner.client.mutate("clients.update", { org, id, name: "Acme Ltd" });
    // An update changes only what it names.
    expect(renamed.data).toMatchObject({ name: "Acme Ltd", contact_email: "billing@acme.test", notes: "VIP" });

    const archived = await owner.client.mutate("clients.setArchived", { org, id, archived: true });
    expect(archived.data.archived_at).toEqual(expect.any(Number));
    expect((await owner.client.query("clients.list", { org })).data.map((c: { id: string }) => c.id)).not.toContain(id);
    expect((await owner.client.query("clients.list", { org, includeArchived: true })).data.map((c: { id: string }) => c.id)).toContain(id);

    const rows = auditRows().slice(before);
    expect(rows.map((r) => r.action)).toEqual(["client.create", "client.update", "client.archive"]);
    for (const row of rows) {
      expect(row).toMatchObject({ actor_kind: "user", ip: "127.0.0.1", target_type: "client", target_id: id });
      expect(row.actor_id).toMatch(/^u/);
      expect(row.user_agent).toBeTruthy();
    }
    expect(JSON.parse(rows[1]!.detail)).toEqual({ fields: ["name"] });
  });

  it("refuses a duplicate name (any case) with a sentence, and writes no audit row", async () => {
    await owner.client.mutate("clients.create", { org, name: "Globex" });
    const before = auditRows().length;
    const dup = await owner.client.mutate("clients.create", { org, name: "GLOBEX" });
    expect(dup.status).toBe(409);
    expect(dup.error?.message).toBe("A client with this name already exists.");
    expect(auditRows().length).toBe(before);
  });

  it("answers 404 for an unknown client id", async () => {
    const res = await owner.client.mutate("clients.update", { org, id: "c" + "a".repeat(24), name: "Ghost" });
    expect(res.status).toBe(404);
  });
});

describe("projects", () => {
  let clientId: string;
  beforeAll(async () => {
    clientId = (await owner.client.mutate("clients.create", { org, name: "Initech" })).data.id;
  });

  it("creates a project with money in minor units and budget in seconds", async () => {
    const res = await owner.client.mutate("projects.create", {
      org,
      clientId,
      name: "Website",
      code: "web-1",
      hourlyRate: 12050,
      budgetSeconds: 40 * 3600,
    });
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({
      name: "Website",
      code: "WEB-1",
      status: "active",
      hourly_rate: 12050,
      budget_seconds: 144000,
      client_name: "Initech",
    });
  });

  it("refuses a duplicate code whatever its case, and keeps fields an update does not name", async () => {
    const first = await owner.client.mutate("projects.create", {
      org,
      clientId,
      name: "App",
      code: "APP",
      status: "planned",
      hourlyRate: 9000,
    });
    const dup = await owner.client.mutate("projects.create", { org, clientId, name: "App 2", code: "app" });
    expect(dup.status).toBe(409);
    const updated = await owner.client.mutate("projects.update", { org, id: first.data.id, name: "App v2" });
    expect(updated.data).toMatchObject({ name: "App v2", code: "APP", status: "planned", hourly_rate: 9000 });
  });

  it("refuses a project for an archived client or a client that does not exist", async () => {
    const archived = (await owner.client.mutate("clients.create", { org, name: "Old Co" })).data.id;
    await owner.client.mutate("clients.setArchived", { org, id: archived, archived: true });
    const res = await owner.client.mutate("projects.create", { org, clientId: archived, name: "Nope" });
    expect(res.status).toBe(400);
    expect(res.error?.message).toMatch(/archived/);
    const ghost = await owner.client.mutate("projects.create", { org, clientId: "c" + "b".repeat(24), name: "Nope" });
    expect(ghost.status).toBe(400);
  });

  it("pages through projects in name order", async () => {
    for (let i = 0; i < 5; i++) await owner.client.mutate("projects.create", { org, clientId, name: `Page ${i}` });
    const first = await owner.client.query("projects.list", { org, search: "Page", limit: 2 });
    const second = await owner.client.query("projects.list", { org, search: "Page", limit: 2, offset: 2 });
    expect(first.data.map((p: { name: string }) => p.name)).toEqual(["Page 0", "Page 1"]);
    expect(second.data.map((p: { name: string }) => p.name)).toEqual(["Page 2", "Page 3"]);
  });

  it("archives and restores a project, auditing both", async () => {
    const p = await owner.client.mutate("projects.create", { org, clientId, name: "Seasonal" });
    await owner.client.mutate("projects.setArchived", { org, id: p.data.id, archived: true });
    expect((await owner.client.query("projects.list", { org, search: "Seasonal" })).data).toEqual([]);
    await owner.client.mutate("projects.setArchived", { org, id: p.data.id, archived: false });
    expect((await owner.client.query("projects.list", { org, search: "Seasonal" })).data).toHaveLength(1);
    const actions = auditRows()
      .filter((r) => r.target_id === p.data.id)
      .map((r) => r.action);
    expect(actions).toEqual(["project.create", "project.archive", "project.restore"]);
  });
});
