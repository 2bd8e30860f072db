import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../routers/_app";
import { procedureDefs } from "../trpc/access-check";
import { createUser } from "../auth/accounts";
import { Client } from "./support/client";
import { STRONG_PASSWORD, uniqueEmail, type userWithOrg } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import { domainBadInputs } from "./support/procedure-inputs";
import { tenantDigest } from "./support/tenant-files";
import { fillTarget, orgWithData, type Target } from "./support/world";

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
let target: Target;
/** Staff-only procedures refuse everyone else before reading input, so their bad input is sent as staff. */
let staff: Client;
const org = "bad-input";

const long = (n: number) => "x".repeat(n);

/** Bad inputs for every procedure that takes input; `org`, `clientId`, `projectId` are filled in later. */
function badInputs(): Record<string, unknown[]> {
  const ok = { org };
  return {
    "support.createGrant": [
      { ...ok },
      { ...ok, scope: "root", hours: 1, reason: "valid reason" },
      { ...ok, scope: "read", hours: 0, reason: "valid reason" },
      { ...ok, scope: "read", hours: 1.5, reason: "valid reason" },
      { ...ok, scope: "read", hours: 1, reason: long(501) },
    ],
    "support.listGrants": [{}, { org: "Not A Slug" }],
    "support.revokeGrant": [{ ...ok }, { ...ok, id: "../x" }],
    "support.activity": [{ org: 5 }],
    "support.stashLink": [{}, { token: "short" }, { token: 43 }],
    "support.redeem": [{}, { acknowledgeReason: false }, { acknowledgeReason: "yes" }],
    "auth.setup": [{}, { name: 1, email: "x", password: 2 }, { name: long(101), email: "a@b.test", password: STRONG_PASSWORD }],
    "auth.signup": [
      "just a string",
      {},
      { name: "N", email: "not-an-email", password: STRONG_PASSWORD },
      { name: "N", email: `${long(250)}@b.test`, password: STRONG_PASSWORD },
    ],
    "auth.verifyEmail": [{}, { token: 5 }, { token: "short" }, { token: `${long(40)}<>!` }],
    "auth.login": [{}, { email: "a@b.test" }, { email: "nope", password: "x" }, { email: "a@b.test", password: long(1000) }],
    "auth.requestPasswordReset": [{}, { email: 1 }, { email: "'; drop table users; --" }],
    "auth.resetPassword": [{}, { token: "bad", password: STRONG_PASSWORD }, { token: long(43), password: 12 }],
    "account.revokeSession": [{}, { id: "../../etc/passwd" }, { id: 42 }],
    "account.changePassword": [{}, { currentPassword: 1, newPassword: STRONG_PASSWORD }, { currentPassword: "a", newPassword: long(1000) }],
    "orgs.create": [
      {},
      { name: "", slug: "fine-slug" },
      { name: "Fine", slug: "UPPER CASE!" },
      { name: long(201), slug: "fine-slug" },
      { name: "Fine", slug: "../../etc" },
      { name: "Fine", slug: "a" },
    ],
    "clients.list": [
      { ...ok, includeArchived: "yes" },
      { ...ok, search: long(201) },
    ],
    "clients.get": [{ ...ok }, { ...ok, id: "' or 1=1 --" }, { ...ok, id: 7 }],
    "clients.create": [
      { ...ok },
      { ...ok, name: "" },
      { ...ok, name: "   " },
      { ...ok, name: long(201) },
      { ...ok, name: 5 },
      { ...ok, name: "Ok", contactEmail: "nope" },
      { ...ok, name: "Ok", notes: long(10_001) },
    ],
    "clients.update": [
      { ...ok, id: "bad" },
      { ...ok, id: "$clientId", name: "" },
      { ...ok, id: "$clientId", contactEmail: "x" },
      { ...ok, id: "$clientId", notes: 3 },
    ],
    "clients.setArchived": [
      { ...ok, id: "$clientId" },
      { ...ok, id: "$clientId", archived: "true" },
    ],
    "projects.list": [
      { ...ok, limit: 0 },
      { ...ok, limit: 1000 },
      { ...ok, offset: -1 },
      { ...ok, clientId: "x" },
      { ...ok, limit: 1.5 },
    ],
    "projects.get": [{ ...ok, id: 1 }, { ...ok }],
    "projects.create": [
      { ...ok, clientId: "$clientId", name: "" },
      { ...ok, clientId: "$clientId", name: "Ok", hourlyRate: 12.5 },
      { ...ok, clientId: "$clientId", name: "Ok", hourlyRate: -1 },
      { ...ok, clientId: "$clientId", name: "Ok", hourlyRate: "100" },
      { ...ok, clientId: "$clientId", name: "Ok", status: "deleted" },
      { ...ok, clientId: "$clientId", name: "Ok", code: "has space" },
      { ...ok, clientId: "$clientId", name: "Ok", code: long(21) },
      { ...ok, clientId: "$clientId", name: "Ok", budgetSeconds: -5 },
      { ...ok, name: "No client" },
    ],
    "projects.update": [
      { ...ok, id: "$projectId", hourlyRate: "100" },
      { ...ok, id: "$projectId", status: "x" },
      { ...ok, id: "$projectId", name: long(201) },
    ],
    "projects.setArchived": [
      { ...ok, id: "$projectId" },
      { ...ok, id: "$projectId", archived: 1 },
    ],
    "audit.list": [
      { ...ok, limit: 0 },
      { ...ok, limit: 201 },
      { ...ok, cursor: 0 },
      { ...ok, cursor: "12" },
      { ...ok, actorKind: "robot" },
      { ...ok, action: "client.create; drop table audit_log" },
      { ...ok, action: "%" },
      { ...ok, actorId: "" },
      { ...ok, targetId: long(101) },
      { ...ok, from: "yesterday" },
      { ...ok, from: "2024-02-30" },
      { ...ok, from: -1 },
      { ...ok, to: 1.5 },
      { ...ok, from: "2024-05-02", to: "2024-05-01" },
    ],
    "audit.export": [
      { ...ok },
      { ...ok, format: "xlsx" },
      { ...ok, format: "csv", from: "not a date" },
      { ...ok, format: "json", actorKind: 1 },
      { ...ok, format: "csv", from: 2_000, to: 1_000 },
    ],
    "security.myHistory": [{ limit: 0 }, { limit: 1000 }, { cursor: -5 }, { cursor: "abc" }],
    "security.platformLog": [
      { limit: 0 },
      { event: "login.*.*" },
      { email: long(255) },
      { ip: "" },
      { from: "2024-13-01" },
      { from: "2024-05-02", to: "2024-05-01" },
      { cursor: 1.5 },
    ],
    "settings.get": [{}, { org: "../x" }],
    "settings.update": [
      { ...ok, timeZone: "Mars/Olympus" },
      { ...ok, currency: "EURO" },
      { ...ok, weekStart: 8 },
      { ...ok, weekStart: 1.5 },
    ],
    ...domainBadInputs(org),
  };
}

async function controlCounts() {
  const c = instance.services.control;
  const count = async (table: "users" | "sessions" | "tenants" | "memberships" | "email_tokens") =>
    Number((await c.selectFrom(table).select(c.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
  return {
    users: await count("users"),
    sessions: await count("sessions"),
    tenants: await count("tenants"),
    memberships: await count("memberships"),
    tokens: await count("email_tokens"),
  };
}

const procedures = procedureDefs(appRouter);
const cases = badInputs();

beforeAll(async () => {
  instance = await startInstance();
  ({ target, ...owner } = await orgWithData(instance, org));
  const staffEmail = uniqueEmail("staff");
  await createUser(instance.services, { name: "Staff", email: staffEmail, password: STRONG_PASSWORD, isStaff: true, verified: true });
  staff = new Client(instance.url);
  expect((await staff.mutate("auth.login", { email: staffEmail, password: STRONG_PASSWORD })).status).toBe(200);
});
afterAll(() => instance.stop());

describe("bad input", () => {
  it("has cases for every procedure that takes input", () => {
    const withInput = Object.entries(procedures)
      .filter(([, p]) => p.inputs.length > 0)
      .map(([path]) => path);
    expect(Object.keys(cases).sort()).toEqual(withInput.sort());
  });

  const all = Object.entries(cases).flatMap(([path, inputs]) => inputs.map((input, i) => [path, i, input] as const));
  it.each(all)("%s #%i gets a readable 400 and writes nothing", async (path, _i, input) => {
    const beforeTenant = tenantDigest(instance.dataDir, owner.tenantId);
    const beforeControl = await controlCounts();
    const filled = fillTarget(input, target);
    const caller = procedures[path]!.meta?.access === "staff" ? staff : owner.client;
    const res = procedures[path]!.type === "query" ? await caller.query(path, filled) : await caller.mutate(path, filled);
    expect(res.status).toBe(400);
    expect(res.error?.code).toBe("BAD_REQUEST");
    expect(res.error?.message).toMatch(/^Invalid input: /);
    expect(res.error?.message).not.toMatch(/[{}[\]]|at .*\.ts/);
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(beforeTenant);
    expect(await controlCounts()).toEqual(beforeControl);
  });

  it("names the field at fault", async () => {
    const res = await owner.client.mutate("clients.create", { org, name: "Ok", contactEmail: "nope" });
    expect(res.error?.fieldErrors).toEqual({ contactEmail: ["Enter a valid email address."] });
  });

  it("answers malformed JSON with 400, not 500", async () => {
    const res = await owner.client.raw("GET", `/api/trpc/clients.list?input=${encodeURIComponent("{not json")}`);
    expect(res.status).toBe(400);
    const post = await owner.client.raw("POST", "/api/trpc/clients.create", "{not json", {
      "content-type": "application/json",
      origin: instance.url,
    });
    expect(post.status).toBe(400);
  });

  it("answers an unknown procedure with 404", async () => {
    expect((await owner.client.query("clients.dropAll", { org })).status).toBe(404);
  });
});

describe("metacharacters", () => {
  const nasty = `Robert'); DROP TABLE clients;-- <script>alert("x")</script> & "quotes" \\ % _ 💥`;

  it("stores and returns SQL and HTML metacharacters verbatim", async () => {
    const created = await owner.client.mutate("clients.create", { org, name: nasty, notes: nasty });
    expect(created.status).toBe(200);
    const got = await owner.client.query("clients.get", { org, id: created.data.id });
    expect(got.data.name).toBe(nasty);
    expect(got.data.notes).toBe(nasty);
    const listed = await owner.client.query("clients.list", { org });
    expect(listed.data.map((c: { name: string }) => c.name)).toContain(nasty);
  });

  it("searches for % and _ literally", async () => {
    const percent = await owner.client.query("clients.list", { org, search: "%" });
    expect(percent.data.map((c: { name: string }) => c.name)).toEqual([nasty]);
    const none = await owner.client.query("clients.list", { org, search: "%xyz%" });
    expect(none.data).toEqual([]);
  });
});
