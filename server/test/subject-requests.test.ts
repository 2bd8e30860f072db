import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addMember, inviteMember, userWithOrg, verifiedUser } from "./support/accounts";
import type { Client } from "./support/client";
import { startInstance, type Instance } from "./support/instance";
import { tenantDigest, tenantRows } from "./support/tenant-files";

/**
 * A data subject request handled by the organisation itself: one person's address and name typed
 * into a client, notes, a task, a comment, a time note and an issued invoice; the admin searches,
 * chooses, and redacts exactly what was chosen. Everything else, every other organisation and the
 * issued invoice stay as they were.
 */

const EMAIL = "erika.m@victimcorp.example";
const NAME = "Erika Mustermann";
const org = "dsr-org";

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
let other: Awaited<ReturnType<typeof userWithOrg>>;
const ids = {} as Record<"client" | "bystander" | "task" | "followUp" | "comment" | "time" | "invoice", string>;

interface Match {
  table: string;
  field: string;
  rowId: string;
  fingerprint: string;
  locked: string | null;
  excerpt: string;
  occurrences: number;
  invoiceId: string | null;
}

async function ok<T>(res: Promise<{ status: number; data: T; error: unknown }>, what: string): Promise<T> {
  const r = await res;
  if (r.status !== 200) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.error)}`);
  return r.data;
}

async function search(client: Client, kind: "email" | "name", term: string) {
  return ok<{ matches: Match[]; truncated: boolean }>(client.query("subjectRequests.search", { org, kind, term }), `search ${term}`);
}

const key = (m: { table: string; field: string; rowId: string }) => `${m.table}.${m.field}:${m.rowId}`;
const pick = (matches: Match[], table: string, field: string, rowId: string) => {
  const m = matches.find((x) => x.table === table && x.field === field && x.rowId === rowId);
  if (!m) throw new Error(`no match ${table}.${field} ${rowId} in ${JSON.stringify(matches.map(key))}`);
  return { table: m.table, field: m.field, rowId: m.rowId, fingerprint: m.fingerprint };
};

/** Every cell of every table, keyed table.column:rowid, read through a separate connection. */
function cells(tenantId: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const tables = tenantRows<{ name: string }>(
    instance.dataDir,
    tenantId,
    "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'",
  );
  for (const { name } of tables) {
    for (const row of tenantRows<Record<string, unknown>>(instance.dataDir, tenantId, `select rowid as __rowid, * from "${name}"`)) {
      for (const [col, v] of Object.entries(row)) if (col !== "__rowid") out.set(`${name}.${col}:${String(row.__rowid)}`, v);
    }
  }
  return out;
}

function changedCells(before: Map<string, unknown>, after: Map<string, unknown>) {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => JSON.stringify(before.get(k)) !== JSON.stringify(after.get(k))).sort();
}

const rowidOf = (tenantId: string, table: string, id: string) =>
  String(tenantRows<{ r: number }>(instance.dataDir, tenantId, `select rowid as r from "${table}" where id = '${id}'`)[0]!.r);

const issuedInvoice = () => ({
  invoice: tenantRows(instance.dataDir, owner.tenantId, `select * from invoices where id = '${ids.invoice}'`),
  lines: tenantRows(instance.dataDir, owner.tenantId, `select * from invoice_lines where invoice_id = '${ids.invoice}'`),
  payments: tenantRows(instance.dataDir, owner.tenantId, `select * from payments where invoice_id = '${ids.invoice}'`),
});

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, org);
  const c = owner.client;
  const client = await ok(
    c.mutate("clients.create", {
      org,
      name: "Victim Corp",
      contactEmail: EMAIL,
      notes: `Main contact ${NAME} (${EMAIL.toUpperCase()}); billing goes to info@victimcorp.example.`,
    }),
    "client",
  );
  ids.client = client.id;
  // Neither the longer address nor the longer name is the person: whole-token matching must skip both.
  ids.bystander = (
    await ok(
      c.mutate("clients.create", { org, name: "Bystander Ltd", notes: "Write to info@victimcorp.example; ask for Erika Mustermanns." }),
      "bystander",
    )
  ).id;
  const project = await ok(c.mutate("projects.create", { org, clientId: client.id, name: "Launch" }), "project");
  ids.task = (
    await ok(
      c.mutate("tasks.create", {
        org,
        projectId: project.id,
        title: "Kick-off",
        description: `Call ${NAME} about the launch. Cc ${EMAIL}`,
      }),
      "task",
    )
  ).id;
  ids.followUp = (await ok(c.mutate("tasks.create", { org, projectId: project.id, title: `Follow-up for ${NAME}` }), "task 2")).id;
  ids.comment = (await ok(c.mutate("comments.create", { org, taskId: ids.task, body: `${NAME} approved the mock-ups.` }), "comment")).id;
  const startedAt = Date.UTC(2026, 0, 5, 9);
  ids.time = (
    await ok(
      c.mutate("time.create", {
        org,
        projectId: project.id,
        startedAt,
        endedAt: startedAt + 3_600_000,
        note: `Workshop with ${NAME}`,
      }),
      "time",
    )
  ).id;
  const invoice = await ok(
    c.mutate("invoices.create", {
      org,
      clientId: client.id,
      notes: `Attn: ${NAME}, ${EMAIL}`,
      lines: [{ description: `Consulting for ${NAME}`, quantity: 1, unitPrice: 50_000 }],
    }),
    "invoice",
  );
  ids.invoice = invoice.id;
  await ok(c.mutate("invoices.issue", { org, id: invoice.id }), "issue");

  // Another organisation knows the same person: nothing done in dsr-org may reach it.
  other = await userWithOrg(instance, "dsr-other");
  await ok(
    other.client.mutate("clients.create", { org: "dsr-other", name: NAME, contactEmail: EMAIL, notes: `${NAME}, ${EMAIL}` }),
    "other client",
  );
}, 60_000);
afterAll(() => instance.stop());

describe("search", () => {
  it("lists every whole-token match of the address, with table, field, row and an excerpt", async () => {
    const { matches, truncated } = await search(owner.client, "email", EMAIL.toUpperCase());
    expect(truncated).toBe(false);
    const found = matches.map(key);
    expect(found).toEqual(
      expect.arrayContaining([
        `clients.contact_email:${ids.client}`,
        `clients.notes:${ids.client}`,
        `tasks.description:${ids.task}`,
        `invoices.notes:${ids.invoice}`,
      ]),
    );
    expect(found).not.toContain(`clients.notes:${ids.bystander}`);
    const notes = matches.find((m) => key(m) === `clients.notes:${ids.client}`)!;
    expect(notes.excerpt).toContain(EMAIL.toUpperCase());
    expect(notes.locked).toBeNull();
    const invoice = matches.find((m) => m.table === "invoices")!;
    expect(invoice.locked).toMatch(/Issued invoices stay as issued/);
    expect(invoice.invoiceId).toBe(ids.invoice);
  });

  it("does not match an address that only contains the searched one", async () => {
    expect((await search(owner.client, "email", "o@victimcorp.example")).matches).toEqual([]);
    const info = (await search(owner.client, "email", "info@victimcorp.example")).matches.map(key);
    expect(info.sort()).toEqual([`clients.notes:${ids.bystander}`, `clients.notes:${ids.client}`].sort());
  });

  it("matches a name as whole words, not inside a longer word", async () => {
    const { matches } = await search(owner.client, "name", "erika   MUSTERMANN");
    const found = matches.map(key);
    expect(found).toEqual(
      expect.arrayContaining([
        `clients.notes:${ids.client}`,
        `tasks.description:${ids.task}`,
        `tasks.title:${ids.followUp}`,
        `comments.body:${ids.comment}`,
        `time_entries.note:${ids.time}`,
        `invoices.notes:${ids.invoice}`,
      ]),
    );
    expect(found).not.toContain(`clients.notes:${ids.bystander}`);
    const line = matches.find((m) => m.table === "invoice_lines")!;
    expect(line.locked).toMatch(/Issued invoices/);
    // The audit log mentions the follow-up's title: listed, never redactable.
    for (const m of matches.filter((x) => x.table === "audit_log")) expect(m.locked).toMatch(/append-only/);
  });

  it("is refused to a member whose role lacks the permission, and allowed to an admin", async () => {
    const manager = await verifiedUser(instance, "Mona Manager");
    await addMember(instance, owner.tenantId, manager.email, "manager");
    const refused = await manager.client.query("subjectRequests.search", { org, kind: "email", term: EMAIL });
    expect(refused.status).toBe(403);
    expect(refused.error?.message).toContain("needs privacy.subject_requests");
    const redact = await manager.client.mutate("subjectRequests.redact", {
      org,
      kind: "email",
      term: EMAIL,
      selections: [{ table: "clients", field: "notes", rowId: ids.client, fingerprint: "0".repeat(32) }],
    });
    expect(redact.status).toBe(403);
    const admin = await inviteMember(instance, owner.client, org, "admin", { name: "Ada Admin" });
    expect((await admin.client.query("subjectRequests.search", { org, kind: "email", term: EMAIL })).status).toBe(200);
  });
});

describe("redaction", () => {
  it("changes exactly the chosen fields, refuses stale ones, keeps the issued invoice and other organisations", async () => {
    const byName = (await search(owner.client, "name", NAME)).matches;
    const byEmail = (await search(owner.client, "email", EMAIL)).matches;
    const before = cells(owner.tenantId);
    const otherBefore = tenantDigest(instance.dataDir, other.tenantId);
    const invoiceBefore = issuedInvoice();

    const chosenEmail = [
      pick(byEmail, "clients", "contact_email", ids.client),
      pick(byEmail, "clients", "notes", ids.client),
      pick(byEmail, "tasks", "description", ids.task),
    ];
    const first = await owner.client.mutate("subjectRequests.redact", { org, kind: "email", term: EMAIL, selections: chosenEmail });
    expect(first.status).toBe(200);
    expect(first.data.redacted).toHaveLength(3);

    // The name search was made before the client's notes changed: that selection is stale now.
    const staleDigest = tenantDigest(instance.dataDir, owner.tenantId);
    const stale = await owner.client.mutate("subjectRequests.redact", {
      org,
      kind: "name",
      term: NAME,
      selections: [pick(byName, "comments", "body", ids.comment), pick(byName, "clients", "notes", ids.client)],
    });
    expect(stale.status).toBe(409);
    expect(stale.error?.message).toBe(
      `Client notes ${ids.client} has changed since your search. Search again and review the new text before redacting.`,
    );
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(staleDigest);

    const fresh = (await search(owner.client, "name", NAME)).matches;
    const chosenName = [
      pick(fresh, "comments", "body", ids.comment),
      pick(fresh, "time_entries", "note", ids.time),
      pick(fresh, "clients", "notes", ids.client),
    ];
    const second = await owner.client.mutate("subjectRequests.redact", {
      org,
      kind: "name",
      term: NAME,
      replacement: "[erased]",
      selections: chosenName,
    });
    expect(second.status).toBe(200);

    const after = cells(owner.tenantId);
    const r = (table: string, id: string) => rowidOf(owner.tenantId, table, id);
    const auditRows = tenantRows<{ id: number; action: string; detail: string }>(
      instance.dataDir,
      owner.tenantId,
      "select id, action, detail from audit_log where action = 'privacy.subject_redact' order by id",
    );
    const expected = [
      `clients.contact_email:${r("clients", ids.client)}`,
      `clients.notes:${r("clients", ids.client)}`,
      `clients.updated_at:${r("clients", ids.client)}`,
      `tasks.description:${r("tasks", ids.task)}`,
      `tasks.updated_at:${r("tasks", ids.task)}`,
      `comments.body:${r("comments", ids.comment)}`,
      `comments.updated_at:${r("comments", ids.comment)}`,
      `time_entries.note:${r("time_entries", ids.time)}`,
      `time_entries.updated_at:${r("time_entries", ids.time)}`,
      ...auditRows.flatMap((a) =>
        ["id", "at", "actor_kind", "actor_id", "ip", "user_agent", "action", "target_type", "target_id", "detail"].map(
          (c) => `audit_log.${c}:${a.id}`,
        ),
      ),
    ].sort();
    // Searches write nothing; the two redactions wrote exactly the chosen cells and one audit row each.
    expect(auditRows).toHaveLength(2);
    expect(changedCells(before, after)).toEqual(expected);

    const client = tenantRows<{ contact_email: string; notes: string }>(
      instance.dataDir,
      owner.tenantId,
      `select contact_email, notes from clients where id = '${ids.client}'`,
    )[0]!;
    expect(client.contact_email).toBe("[redacted]");
    expect(client.notes).toBe("Main contact [erased] ([redacted]); billing goes to info@victimcorp.example.");
    const followUp = tenantRows<{ title: string }>(
      instance.dataDir,
      owner.tenantId,
      `select title from tasks where id = '${ids.followUp}'`,
    );
    expect(followUp[0]!.title).toBe(`Follow-up for ${NAME}`);

    expect(issuedInvoice()).toEqual(invoiceBefore);
    expect(tenantDigest(instance.dataDir, other.tenantId)).toBe(otherBefore);

    const detail = JSON.parse(auditRows[1]!.detail);
    expect(detail).toMatchObject({ kind: "name", termLength: NAME.length, replacement: "[erased]" });
    expect(detail.termSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(detail.redacted.map(key).sort()).toEqual(chosenName.map(key).sort());
    for (const a of auditRows) expect(a.detail.toLowerCase()).not.toMatch(/erika|mustermann/);
  });

  it("refuses an issued invoice with a sentence before the database would, and records a redacted-copy note instead", async () => {
    const byEmail = (await search(owner.client, "email", EMAIL)).matches;
    const before = tenantDigest(instance.dataDir, owner.tenantId);
    const invoiceBefore = issuedInvoice();
    const refused = await owner.client.mutate("subjectRequests.redact", {
      org,
      kind: "email",
      term: EMAIL,
      selections: [pick(byEmail, "invoices", "notes", ids.invoice)],
    });
    expect(refused.status).toBe(400);
    expect(refused.error?.message).toMatch(/^Invoice notes i[a-z2-7]{24} cannot be redacted: Issued invoices stay as issued/);
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(before);

    const noted = await owner.client.mutate("subjectRequests.noteRedactedCopy", {
      org,
      invoiceId: ids.invoice,
      note: "Redacted copy emailed to the person on request #17",
    });
    expect(noted.status).toBe(200);
    expect(issuedInvoice()).toEqual(invoiceBefore);
    const logged = tenantRows<{ target_id: string; detail: string }>(
      instance.dataDir,
      owner.tenantId,
      "select target_id, detail from audit_log where action = 'invoice.redacted_copy'",
    );
    expect(logged).toHaveLength(1);
    expect(logged[0]!.target_id).toBe(ids.invoice);
    expect(JSON.parse(logged[0]!.detail).note).toBe("Redacted copy emailed to the person on request #17");
  });

  it("refuses read-only tables, unknown fields and a replacement that contains the term", async () => {
    const byName = (await search(owner.client, "name", NAME)).matches;
    const audit = byName.find((m) => m.table === "audit_log");
    const before = tenantDigest(instance.dataDir, owner.tenantId);
    expect(audit).toBeDefined();
    const appendOnly = await owner.client.mutate("subjectRequests.redact", {
      org,
      kind: "name",
      term: NAME,
      selections: [pick(byName, "audit_log", "detail", audit!.rowId)],
    });
    expect(appendOnly.status).toBe(400);
    expect(appendOnly.error?.message).toMatch(/append-only/);
    const unknown = await owner.client.mutate("subjectRequests.redact", {
      org,
      kind: "name",
      term: NAME,
      selections: [{ table: "clients", field: "archived_at", rowId: ids.client, fingerprint: "0".repeat(32) }],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.error?.message).toBe("clients.archived_at is not a field a data subject request can change.");
    const echo = await owner.client.mutate("subjectRequests.redact", {
      org,
      kind: "name",
      term: NAME,
      replacement: `ex-${NAME}`,
      selections: [pick(byName, "tasks", "title", ids.followUp)],
    });
    expect(echo.status).toBe(400);
    expect(echo.error?.message).toBe("The replacement must not contain the term itself.");
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(before);
  });
});

describe("a large organisation", () => {
  it("finds a match behind thousands of cells that only contain the address inside a longer one", async () => {
    const lease = await instance.services.pool.acquire(owner.tenantId);
    const task = (n: number, description: string) => ({
      id: `decoy-${n}`,
      project_id: "",
      status_id: "",
      kind: "task" as const,
      title: `Decoy ${n}`,
      description,
      priority: 1,
      due_date: null,
      estimate_seconds: null,
      created_by: null,
      decline_reason: null,
      created_at: 0,
      updated_at: 0,
    });
    try {
      const seed = await lease.db.selectFrom("tasks").select(["project_id", "status_id"]).executeTakeFirstOrThrow();
      await lease.db.transaction().execute(async (trx) => {
        for (let n = 0; n < 12_000; n++) {
          await trx
            .insertInto("tasks")
            .values({ ...task(n, `Write to info-${EMAIL} please`), ...seed })
            .execute();
        }
        await trx
          .insertInto("tasks")
          .values({ ...task(99_999, `The real one: ${EMAIL}`), ...seed })
          .execute();
      });
    } finally {
      lease.release();
    }
    const { matches } = await search(owner.client, "email", EMAIL);
    const found = matches.filter((m) => m.table === "tasks").map((m) => m.excerpt);
    expect(found).toEqual([`The real one: ${EMAIL}`]);
  });
});
