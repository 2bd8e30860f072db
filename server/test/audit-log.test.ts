import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEntry } from "../../db/tenant/audit-log";
import type { AuditLogTable } from "../../db/tenant/schema";
import { appRouter } from "../routers/_app";
import { AUDIT_EXPORT_MAX_ROWS, CSV_COLUMNS } from "../routers/audit";
import { procedureDefs } from "../trpc/access-check";
import type { Client } from "./support/client";
import { addMember, userWithOrg, verifiedUser } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import { tenantRows } from "./support/tenant-files";

let instance: Instance;
let a: Awaited<ReturnType<typeof userWithOrg>>;
let b: Awaited<ReturnType<typeof userWithOrg>>;
let admin: Awaited<ReturnType<typeof verifiedUser>> & { id: string };
let member: Awaited<ReturnType<typeof verifiedUser>>;
let acme: string;
let commaClient: string;
let bravoClient: string;

const ORG_A = "audit-a";
const ORG_B = "audit-b";
const ADMIN_NAME = '=Doe, "Jo"';
const EVIL_AGENT = '=HYPERLINK("http://evil.test","click")';
const WEIRD_TARGET = 'weird,"id"\r\nline2';

// Fixed-time rows, written straight into the file as other actor kinds would write them.
const T1 = Date.UTC(2020, 0, 1, 10);
const T2 = Date.UTC(2020, 0, 2, 23, 59, 59, 999);
const T3 = Date.UTC(2020, 0, 3);
type NewAuditRow = Omit<AuditLogTable, "id" | "ip" | "user_agent" | "target_type" | "target_id" | "actor_id" | "detail"> &
  Partial<Pick<AuditLogTable, "ip" | "user_agent" | "target_type" | "target_id" | "actor_id" | "detail">>;
const SYNTHETIC: NewAuditRow[] = [
  { at: T1, actor_kind: "system", actor_id: "job:purge", action: "system.purge", detail: '{"removed":3}' },
  {
    at: T2,
    actor_kind: "api",
    actor_id: "key_1",
    action: "client.import",
    target_type: "client",
    target_id: WEIRD_TARGET,
    ip: "+441234",
    user_agent: "-- curl",
    detail: '{"note":"=1+2"}',
  },
  {
    at: T3,
    actor_kind: "support",
    actor_id: "u-staff-somebody",
    action: "project.view",
    target_type: "project",
    target_id: "@target",
    ip: "203.0.113.9",
    user_agent: "\tTabbed",
  },
  { at: T3 + 1, actor_kind: "system", action: "clientXnote" },
  { at: T3 + 2, actor_kind: "system", action: "client_note.add" },
];
const BULK = 40;

async function withTenant<T>(tenantId: string, fn: (db: Awaited<ReturnType<Instance["services"]["pool"]["acquire"]>>["db"]) => Promise<T>) {
  const lease = await instance.services.pool.acquire(tenantId);
  try {
    return await fn(lease.db);
  } finally {
    lease.release();
  }
}

async function insertAudit(tenantId: string, rows: NewAuditRow[]) {
  await withTenant(tenantId, (db) =>
    db
      .insertInto("audit_log")
      .values(rows.map((r) => ({ detail: "{}", ...r })))
      .execute(),
  );
}

async function userId(email: string) {
  return (await instance.services.control.selectFrom("users").select("id").where("email", "=", email).executeTakeFirstOrThrow()).id;
}

async function list(client: Client, filter: Record<string, unknown> = {}, org = ORG_A) {
  const res = await client.query("audit.list", { org, ...filter });
  expect(res.status, JSON.stringify(res.error)).toBe(200);
  return res.data as { items: AuditEntry[]; nextCursor: number | null };
}

/** Every matching row, page by page. */
async function listAll(client: Client, filter: Record<string, unknown> = {}, org = ORG_A, limit = 200) {
  const items: AuditEntry[] = [];
  let cursor: number | undefined;
  for (;;) {
    const page = await list(client, { ...filter, limit, cursor }, org);
    items.push(...page.items);
    if (page.nextCursor === null) return items;
    cursor = page.nextCursor;
  }
}

async function exportLog(client: Client, format: "csv" | "json", filter: Record<string, unknown> = {}, org = ORG_A) {
  const res = await client.query("audit.export", { org, format, ...filter });
  expect(res.status, JSON.stringify(res.error)).toBe(200);
  return res.data as { filename: string; contentType: string; rowCount: number; content: string };
}

/** RFC 4180 reader: quoted cells may hold commas, doubled quotes and line breaks; records end in CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === "") quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else {
      expect(c, "a bare quote or line break outside a quoted cell").not.toMatch(/["\r\n]/);
      cell += c;
    }
  }
  expect(quoted, "unterminated quoted cell").toBe(false);
  if (cell !== "" || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

const unneutralise = (cell: string) => cell.replace(/^'(?=[=+\-@\t\r])/, "");

function expectedCsvRow(e: AuditEntry) {
  return [
    String(e.id),
    new Date(e.at).toISOString(),
    e.actorKind,
    e.actorId ?? "",
    e.actorName ?? "",
    e.ip ?? "",
    e.userAgent ?? "",
    e.action,
    e.targetType ?? "",
    e.targetId ?? "",
    JSON.stringify(e.detail),
  ];
}

beforeAll(async () => {
  instance = await startInstance();
  a = await userWithOrg(instance, ORG_A);
  b = await userWithOrg(instance, ORG_B);

  acme = (await a.client.mutate("clients.create", { org: ORG_A, name: "Acme" })).data.id;
  commaClient = (await a.client.mutate("clients.create", { org: ORG_A, name: 'Comma, "Quote" Ltd', notes: "line one\nline two" })).data.id;
  await a.client.mutate("clients.update", { org: ORG_A, id: acme, notes: "Renewal in May" });
  await a.client.mutate("clients.setArchived", { org: ORG_A, id: commaClient, archived: true });
  const project = await a.client.mutate("projects.create", { org: ORG_A, clientId: acme, name: "Website" });
  expect(project.status).toBe(200);

  const adminUser = await verifiedUser(instance, ADMIN_NAME);
  admin = { ...adminUser, id: (await addMember(instance, a.tenantId, adminUser.email, "admin")).id };
  const byAdmin = await admin.client.mutate("clients.create", { org: ORG_A, name: "Admin's client" }, { "user-agent": EVIL_AGENT });
  expect(byAdmin.status).toBe(200);

  member = await verifiedUser(instance, "Plain Member");
  await addMember(instance, a.tenantId, member.email, "member");

  await insertAudit(a.tenantId, SYNTHETIC);
  await insertAudit(
    a.tenantId,
    Array.from({ length: BULK }, (_, i) => ({
      at: T3 + 1000 + i,
      actor_kind: "system" as const,
      action: "bulk.row",
      detail: JSON.stringify({ n: i }),
    })),
  );

  bravoClient = (await b.client.mutate("clients.create", { org: ORG_B, name: "bravo-secret client" })).data.id;
  await b.client.mutate("clients.update", { org: ORG_B, id: bravoClient, notes: "bravo-secret notes" });
});
afterAll(() => instance.stop());

describe("audit.list", () => {
  it("lists the organisation's own rows, newest first, with actor names from its members", async () => {
    const items = await listAll(a.client);
    const inFile = tenantRows<{ id: number }>(instance.dataDir, a.tenantId, "select id from audit_log order by id desc");
    expect(items.map((e) => e.id)).toEqual(inFile.map((r) => r.id));
    const create = items.find((e) => e.action === "client.create" && e.targetId === acme)!;
    expect(create).toMatchObject({
      actorKind: "user",
      actorName: `Owner of ${ORG_A}`,
      targetType: "client",
      ip: "127.0.0.1",
      detail: { name: "Acme" },
    });
    expect(items.find((e) => e.actorId === admin.id)?.actorName).toBe(ADMIN_NAME);
    // No member behind the id: the id is all there is to show.
    const support = items.find((e) => e.actorKind === "support")!;
    expect(support).toMatchObject({ actorId: "u-staff-somebody", actorName: null });
  });

  it("filters by actor id", async () => {
    const items = await listAll(a.client, { actorId: admin.id });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      action: "client.create",
      actorId: admin.id,
      userAgent: EVIL_AGENT,
      detail: { name: "Admin's client" },
    });
  });

  it("filters by actor kind", async () => {
    const system = await listAll(a.client, { actorKind: "system" });
    expect(system).toHaveLength(3 + BULK);
    expect(new Set(system.map((e) => e.actorKind))).toEqual(new Set(["system"]));
    expect((await listAll(a.client, { actorKind: "api" })).map((e) => e.action)).toEqual(["client.import"]);
    const users = await listAll(a.client, { actorKind: "user" });
    expect(users.length).toBeGreaterThanOrEqual(6);
    expect(users.every((e) => e.actorKind === "user")).toBe(true);
  });

  it("filters by exact action and by prefix, matching the prefix literally", async () => {
    const creates = await listAll(a.client, { action: "client.create" });
    expect(creates.map((e) => e.targetId).sort()).toEqual(
      tenantRows<{ target_id: string }>(instance.dataDir, a.tenantId, "select target_id from audit_log where action = 'client.create'")
        .map((r) => r.target_id)
        .sort(),
    );
    expect(creates).toHaveLength(3);

    const prefix = await listAll(a.client, { action: "client." });
    expect(new Set(prefix.map((e) => e.action))).toEqual(new Set(["client.create", "client.update", "client.archive", "client.import"]));
    expect((await listAll(a.client, { action: "client.*" })).map((e) => e.id)).toEqual(prefix.map((e) => e.id));
    // "_" is a character here, not LIKE's any-character wildcard: "clientXnote" does not match.
    expect((await listAll(a.client, { action: "client_*" })).map((e) => e.action)).toEqual(["client_note.add"]);
    expect(await listAll(a.client, { action: "client" })).toEqual([]);
  });

  it("filters by target type and target id", async () => {
    const projects = await listAll(a.client, { targetType: "project" });
    expect(new Set(projects.map((e) => e.action))).toEqual(new Set(["project.create", "project.view"]));
    const acmeRows = await listAll(a.client, { targetId: acme });
    expect(acmeRows.map((e) => e.action).sort()).toEqual(["client.create", "client.update"]);
    const weird = await listAll(a.client, { targetType: "client", targetId: WEIRD_TARGET });
    expect(weird.map((e) => e.action)).toEqual(["client.import"]);
  });

  it("filters by date range: whole UTC days, ISO date-times with a zone, or epoch ms", async () => {
    const actions = async (filter: Record<string, unknown>) => (await listAll(a.client, filter)).map((e) => e.at);
    expect(await actions({ from: "2020-01-02", to: "2020-01-02" })).toEqual([T2]);
    expect(await actions({ to: "2020-01-01" })).toEqual([T1]);
    expect(await actions({ from: T1, to: "2020-01-02T23:59:59.999Z" })).toEqual([T2, T1]);
    expect(await actions({ from: T1 + 1, to: T2 - 1 })).toEqual([]);
    // 01:00 at +01:00 is midnight UTC.
    expect((await actions({ from: "2020-01-03T01:00:00+01:00", to: "2020-01-03T00:00:00.002Z" })).sort()).toEqual([T3, T3 + 1, T3 + 2]);
    const recent = await listAll(a.client, { from: "2020-01-04" });
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.every((e) => e.at >= Date.UTC(2020, 0, 4))).toBe(true);
    expect(recent.some((e) => e.actorKind === "user")).toBe(true);
  });

  it("combines filters", async () => {
    const items = await listAll(a.client, { actorKind: "user", action: "client.", targetId: acme, from: "2020-01-01" });
    expect(items.map((e) => e.action).sort()).toEqual(["client.create", "client.update"]);
  });

  it("pages by id: complete, no duplicates, nextCursor null on the last page, unaffected by new rows", async () => {
    const all = await listAll(a.client);
    const ids = all.map((e) => e.id);
    for (let i = 1; i < ids.length; i++) expect(ids[i]!).toBeLessThan(ids[i - 1]!);

    const seen: number[] = [];
    let cursor: number | undefined;
    let pages = 0;
    do {
      const page = await list(a.client, { limit: 7, cursor });
      expect(page.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.items.map((e) => e.id));
      // History keeps being written while someone pages through it: later pages must not shift.
      if (pages++ === 0) await a.client.mutate("clients.create", { org: ORG_A, name: "Created while paging" });
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(seen).toEqual(ids);
    expect(pages).toBe(Math.ceil(ids.length / 7));

    // Exactly two full pages: the second says there is nothing more, without an empty third.
    const first = await list(a.client, { action: "bulk.row", limit: BULK / 2 });
    expect(first.items).toHaveLength(BULK / 2);
    expect(first.nextCursor).toBe(first.items.at(-1)!.id);
    const second = await list(a.client, { action: "bulk.row", limit: BULK / 2, cursor: first.nextCursor });
    expect(second.items).toHaveLength(BULK / 2);
    expect(second.nextCursor).toBeNull();
    expect(second.items.map((e) => e.detail.n)).toEqual(Array.from({ length: BULK / 2 }, (_, i) => BULK / 2 - 1 - i));
  });

  it("defaults to 50 rows and refuses more than 200", async () => {
    expect((await list(a.client)).items).toHaveLength(50);
    expect((await list(a.client, { limit: 200 })).items.length).toBeLessThanOrEqual(200);
    expect((await a.client.query("audit.list", { org: ORG_A, limit: 201 })).status).toBe(400);
  });
});

describe("who may read it", () => {
  it("refuses a member without audit.view or audit.export (403), and lets an admin read", async () => {
    const listed = await member.client.query("audit.list", { org: ORG_A });
    expect(listed.status).toBe(403);
    expect(listed.error?.message).toContain("audit.view");
    const exported = await member.client.query("audit.export", { org: ORG_A, format: "csv" });
    expect(exported.status).toBe(403);
    expect(exported.error?.message).toContain("audit.export");
    expect((await admin.client.query("audit.list", { org: ORG_A })).status).toBe(200);
  });

  it("refuses anonymous callers and other organisations' members", async () => {
    expect((await a.client.query("audit.list", { org: ORG_B })).status).toBe(404);
    expect((await a.client.query("audit.export", { org: ORG_B, format: "json" })).status).toBe(404);
    expect((await b.client.query("audit.list", { org: ORG_A })).status).toBe(404);
  });

  it("offers no way to change history: only the two read procedures exist, both queries", () => {
    const audit = Object.entries(procedureDefs(appRouter)).filter(([path]) => path.startsWith("audit."));
    expect(audit.map(([path, p]) => [path, p.type])).toEqual([
      ["audit.list", "query"],
      ["audit.export", "query"],
    ]);
  });
});

describe("audit.export", () => {
  it("JSON holds exactly what the list shows, and the export is itself recorded", async () => {
    const listed = await listAll(a.client);
    const file = await exportLog(a.client, "json");
    expect(file.contentType).toBe("application/json; charset=utf-8");
    expect(file.filename).toMatch(/^audit-audit-a-\d{8}-\d{6}\.json$/);
    const body = JSON.parse(file.content);
    expect(body.organisation).toBe(ORG_A);
    expect(body.entries).toEqual(listed);
    expect(file.rowCount).toBe(listed.length);

    const [newest] = (await list(a.client, { limit: 1 })).items;
    expect(newest).toMatchObject({
      action: "audit.export",
      actorId: await userId(a.email),
      detail: { format: "json", rows: listed.length, filters: {} },
    });
  });

  it("CSV holds what the list shows, with the same filters", async () => {
    const filter = { action: "client.", from: "2020-01-01" };
    const listed = await listAll(a.client, filter);
    const file = await exportLog(a.client, "csv", filter);
    expect(file.contentType).toBe("text/csv; charset=utf-8");
    expect(file.filename).toMatch(/^audit-audit-a-\d{8}-\d{6}\.csv$/);
    expect(file.content.startsWith("\uFEFF")).toBe(true);
    expect(file.content.endsWith("\r\n")).toBe(true);
    const [header, ...rows] = parseCsv(file.content.slice(1));
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(rows.map((r) => r.map(unneutralise))).toEqual(listed.map(expectedCsvRow));
  });

  it("neutralises spreadsheet formulas: cells starting with = + - @ or a tab get a leading apostrophe", async () => {
    const file = await exportLog(a.client, "csv");
    const rows = parseCsv(file.content.slice(1));
    const cells = rows.flat();
    expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
    const adminRow = rows.find((r) => r[3] === admin.id)!;
    expect(adminRow[4]).toBe(`'${ADMIN_NAME}`);
    expect(adminRow[6]).toBe(`'${EVIL_AGENT}`);
    const apiRow = rows.find((r) => r[7] === "client.import")!;
    expect(apiRow[5]).toBe("'+441234");
    expect(apiRow[6]).toBe("'-- curl");
    const supportRow = rows.find((r) => r[7] === "project.view")!;
    expect(supportRow[9]).toBe("'@target");
    expect(supportRow[6]).toBe("'\tTabbed");
    // Inside JSON the formula cannot start a cell, so the detail stays as it is.
    expect(apiRow[10]).toBe('{"note":"=1+2"}');
  });

  it("quotes commas, quotes and line breaks", async () => {
    const file = await exportLog(a.client, "csv");
    // Raw text: the whole cell in quotes, inner quotes doubled, the line break kept inside.
    expect(file.content).toContain(`,"'=Doe, ""Jo""",`);
    expect(file.content).toContain(`,"weird,""id""\r\nline2",`);
    expect(file.content).toContain(`"{""name"":""Comma, \\""Quote\\"" Ltd""}"`);
    const rows = parseCsv(file.content.slice(1));
    expect(rows.every((r) => r.length === CSV_COLUMNS.length)).toBe(true);
    expect(rows.find((r) => r[7] === "client.import")![9]).toBe(WEIRD_TARGET);
  });

  it("never includes another organisation's rows", async () => {
    for (const format of ["csv", "json"] as const) {
      const file = await exportLog(a.client, format);
      expect(file.content).not.toContain("bravo");
      expect(file.content).not.toContain(bravoClient);
      expect(file.content).not.toContain(b.tenantId);
    }
    const listed = JSON.stringify(await listAll(a.client));
    expect(listed).not.toContain("bravo");
    expect(listed).not.toContain(bravoClient);
    // Filtering A's log by B's client finds nothing; B's own log has only B's rows.
    expect(await listAll(a.client, { targetId: bravoClient })).toEqual([]);
    const bRows = await listAll(b.client, {}, ORG_B);
    expect(bRows.map((e) => e.action).sort()).toEqual(["client.create", "client.update", "org.create"]);
    expect(JSON.stringify(bRows)).not.toContain(acme);
  });

  it(`refuses more than ${AUDIT_EXPORT_MAX_ROWS} rows and writes nothing; a narrower filter works`, async () => {
    const big = await userWithOrg(instance, "audit-big");
    await withTenant(big.tenantId, (db) =>
      sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${AUDIT_EXPORT_MAX_ROWS + 1})
          insert into audit_log (at, actor_kind, action, detail) select ${T1} + i, 'system', 'bulk.old', '{}' from n`.execute(db),
    );
    const count = () => tenantRows<{ n: number }>(instance.dataDir, big.tenantId, "select count(*) as n from audit_log")[0]!.n;
    const before = count();
    const refused = await big.client.query("audit.export", { org: "audit-big", format: "csv" });
    expect(refused.status).toBe(400);
    expect(refused.error?.message).toMatch(/More than 50,000 entries match/);
    expect(count()).toBe(before);

    const listed = await listAll(big.client, { from: "2020-01-02" }, "audit-big");
    const narrowed = await exportLog(big.client, "json", { from: "2020-01-02" }, "audit-big");
    expect(JSON.parse(narrowed.content).entries).toEqual(listed);
    expect(listed.map((e) => e.action)).toEqual(["org.create"]);
  });
});
