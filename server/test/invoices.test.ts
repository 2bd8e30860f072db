import { existsSync, readFileSync } from "node:fs";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inTenantTransaction, runInTenant } from "../../db/tenant/context";
import { nextSequence } from "../../db/tenant/invoices/invoices";
import { tenantFilePath } from "../../db/tenant/paths";
import type { TenantDB } from "../../db/tenant/schema";
import { FULL_ACCESS } from "../../db/tenant/visibility";
import { newId } from "../auth/tokens";
import { dateIn } from "../billing/dates";
import type { Client, OutputOf } from "./support/client";
import { addMember, userWithOrg, verifiedUser } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import { tenantDigest, tenantRows } from "./support/tenant-files";

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
let ownerId: string;
const org = "billing-org";
let acme: string; // client with time
let globex: string; // another client of the same organisation
let web: string; // Acme's project at 120.50/h
let app: string; // Acme's project at 90.00/h
let globexSite: string;

type Db = Kysely<TenantDB>;

/** Today in the organisation's zone: a payment may not be dated before the issue date nor after today (issue 26). */
const payDay = () => dateIn("Europe/Berlin", instance.clock.now());

async function inFile<T>(tenantId: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const lease = await instance.services.pool.acquire(tenantId);
  try {
    return await fn(lease.db);
  } finally {
    lease.release();
  }
}

/** Time entries go straight into the file: the time API is another domain's. */
async function entry(f: { project: string; start: string; seconds: number; rate: number; billable?: number; running?: boolean }) {
  const id = newId("e");
  const started = Date.parse(f.start);
  await inFile(owner.tenantId, (db) =>
    db
      .insertInto("time_entries")
      .values({
        id,
        member_id: ownerId,
        project_id: f.project,
        task_id: null,
        started_at: started,
        ended_at: f.running ? null : started + f.seconds * 1000,
        duration_seconds: f.seconds,
        note: "",
        billable: f.billable ?? 1,
        hourly_rate: f.rate,
        invoice_id: null,
        created_at: started,
        updated_at: started,
      })
      .execute(),
  );
  return id;
}

const invoiceOf = (ids: string[]) =>
  inFile(owner.tenantId, (db) => db.selectFrom("time_entries").select(["id", "invoice_id"]).where("id", "in", ids).execute()).then((rows) =>
    Object.fromEntries(rows.map((r) => [r.id, r.invoice_id])),
  );

const auditActions = (targetId: string) =>
  tenantRows<{ action: string }>(
    instance.dataDir,
    owner.tenantId,
    `select action from audit_log where target_id = '${targetId}' order by id`,
  ).map((r) => r.action);

/** One line of an invoice or preview, as the router types it. */
type Line<P extends string> = OutputOf<P> extends { lines: readonly (infer L)[] } ? L : never;

async function ok<T>(res: Promise<{ status: number; data: T; error: unknown }>): Promise<T> {
  const r = await res;
  if (r.status !== 200) throw new Error(`expected 200, got ${r.status}: ${JSON.stringify(r.error)}`);
  return r.data;
}

const create = (input: Record<string, unknown>, as: Client = owner.client) => as.mutate("invoices.create", { org, ...input });
const manual = (description: string, quantity: number, unitPrice: number) => ({ description, quantity, unitPrice });

async function issuedInvoice(lines = [manual("Retainer", 1, 100_000)], taxRateBp = 0) {
  const draft = await ok(create({ clientId: acme, lines, taxRateBp }));
  return ok(owner.client.mutate("invoices.issue", { org, id: draft.id }));
}

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, org);
  ownerId = (await instance.services.control.selectFrom("users").select("id").where("email", "=", owner.email).executeTakeFirstOrThrow())
    .id;
  await ok(owner.client.mutate("settings.update", { org, timeZone: "Europe/Berlin", currency: "EUR" }));
  acme = (await ok(owner.client.mutate("clients.create", { org, name: "Acme" }))).id;
  globex = (await ok(owner.client.mutate("clients.create", { org, name: "Globex" }))).id;
  web = (await ok(owner.client.mutate("projects.create", { org, clientId: acme, name: "Website", hourlyRate: 12050 }))).id;
  app = (await ok(owner.client.mutate("projects.create", { org, clientId: acme, name: "App", hourlyRate: 9000 }))).id;
  globexSite = (await ok(owner.client.mutate("projects.create", { org, clientId: globex, name: "Globex site", hourlyRate: 10000 }))).id;
});
afterAll(() => instance.stop());

describe("a draft from unbilled time", () => {
  it("takes the client's billable, finished, unbilled entries whose start falls on the range's days in the organisation's zone", async () => {
    const taken = {
      // 00:30 on 1 January in Berlin, though still 31 December in UTC.
      firstMinutes: await entry({ project: web, start: "2025-12-31T23:30:00Z", seconds: 1800, rate: 12050 }),
      web: await entry({ project: web, start: "2026-01-10T09:00:00Z", seconds: 3600, rate: 12050 }),
      webOtherRate: await entry({ project: web, start: "2026-01-11T09:00:00Z", seconds: 1234, rate: 9999 }),
      app: await entry({ project: app, start: "2026-01-12T09:00:00Z", seconds: 5400, rate: 9000 }),
      // 23:59:59 on 31 January in Berlin.
      lastSecond: await entry({ project: app, start: "2026-01-31T22:59:59Z", seconds: 1, rate: 9000 }),
    };
    const left = {
      beforeRange: await entry({ project: web, start: "2025-12-31T22:59:59Z", seconds: 3600, rate: 12050 }), // 23:59:59 on 31 Dec in Berlin
      afterRange: await entry({ project: web, start: "2026-01-31T23:00:00Z", seconds: 3600, rate: 12050 }), // 00:00 on 1 Feb in Berlin
      notBillable: await entry({ project: web, start: "2026-01-15T09:00:00Z", seconds: 3600, rate: 12050, billable: 0 }),
      running: await entry({ project: web, start: "2026-01-16T09:00:00Z", seconds: 0, rate: 12050, running: true }),
      otherClient: await entry({ project: globexSite, start: "2026-01-15T09:00:00Z", seconds: 3600, rate: 10000 }),
    };
    const range = { from: "2026-01-01", to: "2026-01-31" };

    const preview = await ok(owner.client.query("invoices.preview", { org, clientId: acme, ...range }));
    expect(preview).toMatchObject({ currency: "EUR", timeZone: "Europe/Berlin", entries: 5, seconds: 1800 + 3600 + 1234 + 5400 + 1 });

    const draft = await ok(create({ clientId: acme, ...range, taxRateBp: 1900, dueDate: "2099-12-31", notes: "Thank you" }));
    expect(draft).toMatchObject({
      status: "draft",
      number: null,
      currency: "EUR",
      period_from: "2026-01-01",
      period_to: "2026-01-31",
      client_name: "Acme",
    });
    // One line per project and rate, in project-name order: App 5401 s × 90.00 = 135.025 → 135.03
    // (half-up); Website 5400 s × 120.50 = 180.75; Website 1234 s × 99.99 = 34.274… → 34.27.
    expect(draft.lines.map((l: Line<"invoices.create">) => [l.kind, l.project_id, l.quantity, l.unit_price, l.amount])).toEqual([
      ["time", app, 5401, 9000, 13503],
      ["time", web, 5400, 12050, 18075],
      ["time", web, 1234, 9999, 3427],
    ]);
    expect(preview.lines.map((l: Line<"invoices.preview">) => l.amount)).toEqual([13503, 18075, 3427]);
    expect(draft.subtotal).toBe(35005);
    expect(draft.tax).toBe(6651); // 35005 × 19 % = 6650.95
    expect(draft.total).toBe(41656);

    const invoiced = await invoiceOf([...Object.values(taken), ...Object.values(left)]);
    for (const id of Object.values(taken)) expect(invoiced[id]).toBe(draft.id);
    for (const id of Object.values(left)) expect(invoiced[id]).toBeNull();

    // Taken time is not offered again.
    const again = await owner.client.query("invoices.preview", { org, clientId: acme, ...range });
    expect(again.data.entries).toBe(0);
    const nothing = await create({ clientId: acme, ...range });
    expect(nothing.status).toBe(400);
    expect(nothing.error?.message).toMatch(/nothing to invoice/);

    // Removing a time line gives back exactly that line's entries.
    const webLine = draft.lines.find((l: Line<"invoices.create">) => l.unit_price === 9999);
    const after = await ok(owner.client.mutate("invoices.removeLine", { org, id: draft.id, lineId: webLine.id }));
    expect(after.subtotal).toBe(35005 - 3427);
    expect((await invoiceOf([taken.webOtherRate]))[taken.webOtherRate]).toBeNull();
    expect((await invoiceOf([taken.web]))[taken.web]).toBe(draft.id);

    // Deleting the draft releases the rest.
    await ok(owner.client.mutate("invoices.delete", { org, id: draft.id }));
    for (const id of Object.values(taken)) expect((await invoiceOf([id]))[id]).toBeNull();
    expect(tenantRows(instance.dataDir, owner.tenantId, `select * from invoice_lines where invoice_id = '${draft.id}'`)).toEqual([]);
    expect(auditActions(draft.id)).toEqual(["invoice.create", "invoice.line_remove", "invoice.delete"]);

    // Tidy up: later tests start from no unbilled time for Acme.
    await inFile(owner.tenantId, (db) => db.deleteFrom("time_entries").where("project_id", "in", [web, app, globexSite]).execute());
  });

  it("rounds each line half-up to the minor unit and the tax once, on the subtotal", async () => {
    const d = await ok(
      create({
        clientId: acme,
        taxRateBp: 5000,
        lines: [manual("Half a cent", 0.5, 1), manual("Another half", 0.5, 1), manual("Thirds", 0.333, 100), manual("Bulk", 1.25, 333)],
      }),
    );
    // 0.5 × 0.01 → 0.005 → 0.01 each (half-up; half-even would give 0); 0.333 × 1.00 = 0.333 → 0.33;
    // 1.25 × 3.33 = 4.1625 → 4.16.
    expect(d.lines.map((l: Line<"invoices.create">) => [l.quantity, l.amount])).toEqual([
      [500, 1],
      [500, 1],
      [333, 33],
      [1250, 416],
    ]);
    expect(d.subtotal).toBe(451);
    // 451 × 50 % = 225.5 → 226 once; per line it would have been 1 + 1 + 17 + 208 = 227.
    expect(d.tax).toBe(226);
    expect(d.total).toBe(677);

    const t = await ok(owner.client.mutate("invoices.update", { org, id: d.id, taxRateBp: 1900 }));
    expect(t).toMatchObject({ subtotal: 451, tax: 86, total: 537 }); // 85.69 → 86
    // 150 × 19 % = 28.5 → 29 (banker's rounding would say 28).
    const small = await ok(create({ clientId: acme, taxRateBp: 1900, lines: [manual("Odd", 1, 150)] }));
    expect(small).toMatchObject({ subtotal: 150, tax: 29, total: 179 });
    const added = await ok(owner.client.mutate("invoices.addLine", { org, id: small.id, ...manual("Add-on", 3, 3333) }));
    expect(added).toMatchObject({ subtotal: 10149, tax: 1928, total: 12077 }); // 1928.31 → 1928
  });

  it("copies the organisation's currency when the draft is made, and the currency cannot change under it", async () => {
    const eur = await ok(create({ clientId: acme, lines: [manual("One", 1, 100)] }));
    expect(eur.currency).toBe("EUR");
    // ADR 017: once money exists, a new currency would relabel it; the change is refused, not applied.
    const refused = await owner.client.mutate("settings.update", { org, currency: "CHF" });
    expect(refused.status).toBe(409);
    expect(refused.error?.message).toMatch(/^The currency cannot change from EUR to CHF/);
    expect((await ok(owner.client.query("invoices.get", { org, id: eur.id }))).currency).toBe("EUR");
  });

  it("writes nothing when any part fails: an amount too large leaves the time unbilled", async () => {
    const e = await entry({ project: web, start: "2026-03-02T09:00:00Z", seconds: 3600, rate: 12050 });
    const before = tenantDigest(instance.dataDir, owner.tenantId);
    const res = await create({
      clientId: acme,
      from: "2026-03-01",
      to: "2026-03-31",
      lines: [manual("Galaxy", 1_000_000, 10_000_000_000_000)],
    });
    expect(res.status).toBe(400);
    expect(res.error?.message).toBe("That amount is too large for an invoice.");
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(before);
    expect((await invoiceOf([e]))[e]).toBeNull();
    await inFile(owner.tenantId, (db) => db.deleteFrom("time_entries").where("id", "=", e).execute());
  });

  it("refuses a client that does not exist, or is another organisation's", async () => {
    const other = await userWithOrg(instance, "billing-other");
    const theirClient = (await ok(other.client.mutate("clients.create", { org: "billing-other", name: "Theirs" }))).id;
    const theirs = await ok(
      other.client.mutate("invoices.create", { org: "billing-other", clientId: theirClient, lines: [manual("X", 1, 1)] }),
    );
    const beforeTheirs = tenantDigest(instance.dataDir, other.tenantId);
    const beforeMine = tenantDigest(instance.dataDir, owner.tenantId);

    for (const res of [
      await create({ clientId: theirClient, lines: [manual("X", 1, 1)] }),
      await owner.client.query("invoices.preview", { org, clientId: theirClient, from: "2026-01-01", to: "2026-01-31" }),
      await owner.client.query("invoices.get", { org, id: theirs.id }),
      await owner.client.mutate("invoices.issue", { org, id: theirs.id }),
      await owner.client.mutate("invoices.delete", { org, id: theirs.id }),
      await owner.client.mutate("invoices.removeLine", { org, id: theirs.id, lineId: theirs.lines[0].id }),
      await owner.client.query("payments.list", { org, invoiceId: theirs.id }),
      // Their organisation's slug: the door says "not found" before anything else.
      await owner.client.query("invoices.get", { org: "billing-other", id: theirs.id }),
    ]) {
      expect(res.status).toBe(404);
      expect(JSON.stringify(res.error)).not.toContain("Theirs");
    }
    expect((await owner.client.query("invoices.list", { org, clientId: theirClient })).data).toEqual([]);
    expect(tenantDigest(instance.dataDir, other.tenantId)).toBe(beforeTheirs);
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(beforeMine);
  });
});

describe("numbering", () => {
  it("gives concurrent issues consecutive numbers of the issue year: no gaps, no duplicates", async () => {
    const n = 16;
    const drafts = await Promise.all(
      Array.from({ length: n }, (_, i) => ok(create({ clientId: acme, lines: [manual(`Item ${i}`, 1, 1000 + i)] }))),
    );
    const issued = await Promise.all(drafts.map((d) => owner.client.mutate("invoices.issue", { org, id: d.id })));
    expect(issued.map((r) => r.status)).toEqual(Array(n).fill(200));
    const year = issued[0]!.data.issue_date.slice(0, 4);
    const numbers = issued.map((r) => r.data.number as string).sort();
    expect(numbers).toEqual(Array.from({ length: n }, (_, i) => `INV-${year}-${String(i + 1).padStart(4, "0")}`));
    for (const r of issued) expect(r.data.number.slice(4, 8)).toBe(r.data.issue_date.slice(0, 4));
    expect(tenantRows(instance.dataDir, owner.tenantId, "select year, last_number from invoice_counters")).toEqual([
      { year: Number(year), last_number: n },
    ]);
  });

  it("issues one draft once when asked many times at once, and a refused issue uses no number", async () => {
    const draft = await ok(create({ clientId: acme, lines: [manual("Once", 1, 500)] }));
    const tries = await Promise.all(Array.from({ length: 8 }, () => owner.client.mutate("invoices.issue", { org, id: draft.id })));
    expect(tries.filter((r) => r.status === 200)).toHaveLength(1);
    const refused = tries.filter((r) => r.status !== 200);
    expect(refused.map((r) => r.status)).toEqual(Array(7).fill(409));
    expect(refused[0]!.error?.message).toMatch(/^Invoice INV-\d{4}-\d{4} has already been issued\.$/);
    const number = tries.find((r) => r.status === 200)!.data.number as string;
    const seq = Number(number.slice(-4));

    const late = await ok(create({ clientId: acme, dueDate: "2001-01-31", lines: [manual("Late", 1, 500)] }));
    const refusedIssue = await owner.client.mutate("invoices.issue", { org, id: late.id });
    expect(refusedIssue.status).toBe(400);
    expect(refusedIssue.error?.message).toMatch(/due date 2001-01-31 is before/);
    const emptied = await ok(create({ clientId: acme, lines: [manual("Gone", 1, 1)] }));
    await ok(owner.client.mutate("invoices.removeLine", { org, id: emptied.id, lineId: emptied.lines[0].id }));
    expect((await owner.client.mutate("invoices.issue", { org, id: emptied.id })).status).toBe(400);

    await ok(owner.client.mutate("invoices.update", { org, id: late.id, dueDate: null }));
    const next = await ok(owner.client.mutate("invoices.issue", { org, id: late.id }));
    expect(next.number).toBe(`${number.slice(0, 9)}${String(seq + 1).padStart(4, "0")}`);
  });

  it("gives a number back when the issuing transaction rolls back, and counts each year apart", async () => {
    const lease = await instance.services.pool.acquire(owner.tenantId);
    const scope = { tenantId: owner.tenantId, db: lease.db, access: FULL_ACCESS };
    const take = (fail: boolean) =>
      runInTenant(scope, () =>
        inTenantTransaction(async () => {
          const n = await nextSequence(2031);
          if (fail) throw Object.assign(new Error("failed after numbering"), { n });
          return n;
        }),
      ).catch((e: { n: number }) => e.n);
    try {
      expect(await take(true)).toBe(1);
      expect(await take(true)).toBe(1);
      expect(await take(false)).toBe(1);
      expect(await take(false)).toBe(2);
    } finally {
      lease.release();
    }
  });

  it("keeps numbers unique in the file itself", async () => {
    const [a, b] = [await issuedInvoice(), await ok(create({ clientId: acme, lines: [manual("B", 1, 1)] }))];
    await expect(
      inFile(owner.tenantId, (db) =>
        db.updateTable("invoices").set({ status: "issued", number: a.number }).where("id", "=", b.id).execute(),
      ),
    ).rejects.toThrow(/UNIQUE constraint failed: invoices.number/);
    // A counter set back by hand: the unique index refuses the repeat, and the caller reads why.
    const year = Number(a.issue_date.slice(0, 4));
    await inFile(owner.tenantId, (db) =>
      db
        .updateTable("invoice_counters")
        .set((eb) => ({ last_number: eb("last_number", "-", 1) }))
        .where("year", "=", year)
        .execute(),
    );
    const repeat = await owner.client.mutate("invoices.issue", { org, id: b.id });
    expect(repeat.status).toBe(409);
    expect(repeat.error?.message).toBe(`Number ${a.number} is already taken; the ${year} counter needs checking.`);
    await inFile(owner.tenantId, (db) =>
      db
        .updateTable("invoice_counters")
        .set((eb) => ({ last_number: eb("last_number", "+", 1) }))
        .where("year", "=", year)
        .execute(),
    );
    // A draft never carries a number, an issued invoice always does.
    await expect(
      inFile(owner.tenantId, (db) => db.updateTable("invoices").set({ number: "INV-1999-0001" }).where("id", "=", b.id).execute()),
    ).rejects.toThrow(/CHECK constraint failed/);
  });
});

describe("an issued invoice", () => {
  it("cannot be edited, extended, shortened, deleted or issued again through the API", async () => {
    const inv = await issuedInvoice([manual("Design", 2, 40_000)], 1900);
    expect(inv).toMatchObject({ status: "issued", subtotal: 80_000, tax: 15_200, total: 95_200, balance: 95_200 });
    const before = tenantDigest(instance.dataDir, owner.tenantId);
    const attempts = [
      await owner.client.mutate("invoices.update", { org, id: inv.id, taxRateBp: 0 }),
      await owner.client.mutate("invoices.update", { org, id: inv.id, notes: "changed" }),
      await owner.client.mutate("invoices.addLine", { org, id: inv.id, ...manual("Extra", 1, 1) }),
      await owner.client.mutate("invoices.removeLine", { org, id: inv.id, lineId: inv.lines[0].id }),
      await owner.client.mutate("invoices.delete", { org, id: inv.id }),
      await owner.client.mutate("invoices.issue", { org, id: inv.id }),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(409);
      expect(res.error?.code).toBe("CONFLICT");
      expect(res.error?.message).toContain(`Invoice ${inv.number} has`);
    }
    expect(attempts[0]!.error?.message).toBe(
      `Invoice ${inv.number} has been issued and can no longer be changed. Void it and create a new draft instead.`,
    );
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(before);
  });

  it("cannot be changed by any code path: the file refuses money, line, number and status rewrites", async () => {
    const inv = await issuedInvoice([manual("Audit", 1, 12_345)], 1900);
    const refusals: [string, (db: Db) => Promise<unknown>][] = [
      ["total", (db) => db.updateTable("invoices").set({ subtotal: 1, tax: 0, total: 1 }).where("id", "=", inv.id).execute()],
      ["tax rate", (db) => db.updateTable("invoices").set({ tax_rate_bp: 0 }).where("id", "=", inv.id).execute()],
      ["number", (db) => db.updateTable("invoices").set({ number: "INV-2000-9999" }).where("id", "=", inv.id).execute()],
      ["client", (db) => db.updateTable("invoices").set({ client_id: globex }).where("id", "=", inv.id).execute()],
      ["back to draft", (db) => db.updateTable("invoices").set({ status: "draft", number: null }).where("id", "=", inv.id).execute()],
      ["delete", (db) => db.deleteFrom("invoices").where("id", "=", inv.id).execute()],
      ["line amount", (db) => db.updateTable("invoice_lines").set({ amount: 1 }).where("invoice_id", "=", inv.id).execute()],
      ["line delete", (db) => db.deleteFrom("invoice_lines").where("invoice_id", "=", inv.id).execute()],
      [
        "line insert",
        (db) =>
          db
            .insertInto("invoice_lines")
            .values({
              id: newId("n"),
              invoice_id: inv.id,
              position: 9,
              kind: "manual",
              description: "Sneaky",
              project_id: null,
              quantity: 1000,
              unit_price: 1,
              amount: 1,
            })
            .execute(),
      ],
    ];
    const before = tenantDigest(instance.dataDir, owner.tenantId);
    for (const [what, attempt] of refusals) {
      await expect(inFile(owner.tenantId, attempt), what).rejects.toThrow(/issued and (its lines )?cannot be (changed|deleted)/);
    }
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(before);

    // A void invoice stays void.
    await ok(owner.client.mutate("invoices.void", { org, id: inv.id, reason: "Sent to the wrong address" }));
    await expect(
      inFile(owner.tenantId, (db) => db.updateTable("invoices").set({ status: "issued" }).where("id", "=", inv.id).execute()),
    ).rejects.toThrow(/cannot be changed/);
  });

  it("locks its time: the file refuses edits and deletion of invoiced entries; voiding releases them and keeps the number", async () => {
    const e1 = await entry({ project: web, start: "2026-04-01T08:00:00Z", seconds: 7200, rate: 12050 });
    const e2 = await entry({ project: app, start: "2026-04-02T08:00:00Z", seconds: 3600, rate: 9000 });
    const range = { from: "2026-04-01", to: "2026-04-30" };
    const draft = await ok(create({ clientId: acme, ...range }));
    expect(draft.total).toBe(24_100 + 9_000);

    const lockedAttempts: ((db: Db) => Promise<unknown>)[] = [
      (db: Db) => db.updateTable("time_entries").set({ duration_seconds: 99_999 }).where("id", "=", e1).execute(),
      (db: Db) => db.updateTable("time_entries").set({ billable: 0 }).where("id", "=", e1).execute(),
      (db: Db) => db.updateTable("time_entries").set({ hourly_rate: 1 }).where("id", "=", e2).execute(),
      (db: Db) =>
        db
          .updateTable("time_entries")
          .set({ invoice_id: "i" + "z".repeat(24) })
          .where("id", "=", e2)
          .execute(),
      (db: Db) => db.deleteFrom("time_entries").where("id", "=", e1).execute(),
    ];
    for (const attempt of lockedAttempts) {
      await expect(inFile(owner.tenantId, attempt)).rejects.toThrow(/invoiced and locked/);
    }

    const issued = await ok(owner.client.mutate("invoices.issue", { org, id: draft.id }));
    // Issued: the same time cannot go on a second invoice.
    expect((await create({ clientId: acme, ...range })).status).toBe(400);

    const noReason = await owner.client.mutate("invoices.void", { org, id: draft.id, reason: " " });
    expect(noReason.status).toBe(400);
    const voided = await ok(owner.client.mutate("invoices.void", { org, id: draft.id, reason: "Wrong rate agreed" }));
    expect(voided).toMatchObject({
      status: "void",
      number: issued.number,
      void_reason: "Wrong rate agreed",
      total: issued.total,
      balance: 0,
    });
    expect(voided.lines).toHaveLength(2);
    expect(await invoiceOf([e1, e2])).toEqual({ [e1]: null, [e2]: null });
    expect((await owner.client.mutate("invoices.void", { org, id: draft.id, reason: "Again" })).status).toBe(409);

    // Re-issue = a new draft that bills the released time, under the next number.
    const redo = await ok(create({ clientId: acme, ...range }));
    expect(await invoiceOf([e1, e2])).toEqual({ [e1]: redo.id, [e2]: redo.id });
    const reissued = await ok(owner.client.mutate("invoices.issue", { org, id: redo.id }));
    expect(reissued.number).not.toBe(issued.number);
    expect(auditActions(draft.id)).toEqual(["invoice.create", "invoice.issue", "invoice.void"]);
  });

  it("refuses to void a draft (delete it) or an invoice with payments", async () => {
    const draft = await ok(create({ clientId: acme, lines: [manual("Draft", 1, 100)] }));
    const notIssued = await owner.client.mutate("invoices.void", { org, id: draft.id, reason: "Not needed" });
    expect(notIssued.status).toBe(409);
    expect(notIssued.error?.message).toBe("This draft has not been issued; delete it instead of voiding it.");
    const inv = await issuedInvoice();
    await ok(owner.client.mutate("payments.create", { org, invoiceId: inv.id, paidOn: payDay(), amount: 100, method: "cash" }));
    const res = await owner.client.mutate("invoices.void", { org, id: inv.id, reason: "Too late" });
    expect(res.status).toBe(409);
    expect(res.error?.message).toMatch(/has payments recorded/);
  });
});

describe("payments", () => {
  const pay = (invoiceId: string, amount: number, extra: Record<string, unknown> = {}) =>
    owner.client.mutate("payments.create", { org, invoiceId, paidOn: payDay(), amount, method: "bank_transfer", ...extra });

  it("marks the invoice paid when payments reach the total, and issued again when one is deleted", async () => {
    const inv = await issuedInvoice([manual("Work", 1, 10_000)], 1900); // total 119.00
    const first = await ok(pay(inv.id, 5_000, { reference: "Part 1" }));
    expect(first.invoice).toMatchObject({ status: "issued", paid: 5_000, balance: 6_900 });
    const second = await ok(pay(inv.id, 6_900, { method: "card", reference: "Terminal receipt 0042" }));
    expect(second.invoice).toMatchObject({ status: "paid", paid: 11_900, balance: 0 });
    expect(second.invoice.paid_at).toEqual(expect.any(Number));

    const more = await pay(inv.id, 1);
    expect(more.status).toBe(409);
    expect(more.error?.message).toBe(`Invoice ${inv.number} is already paid in full.`);

    const listed = await ok(owner.client.query("payments.list", { org, invoiceId: inv.id }));
    expect(listed.map((p: OutputOf<"payments.list">[number]) => p.amount).sort()).toEqual([5_000, 6_900]);
    const reopened = await ok(owner.client.mutate("payments.delete", { org, id: second.payment.id }));
    expect(reopened.invoice).toMatchObject({ status: "issued", paid: 5_000, balance: 6_900, paid_at: null });

    // An overpayment is what arrived, once confirmed: recorded, its excess the client's credit (issue 26).
    expect((await pay(inv.id, 10_000)).status).toBe(409);
    const over = await ok(pay(inv.id, 10_000, { confirmOverpayment: true }));
    expect(over.invoice).toMatchObject({ status: "paid", balance: -3_100, credit: 3_100 });
    expect(auditActions(second.payment.id)).toEqual(["payment.create", "payment.delete"]);
  });

  it("are taken only against issued invoices, and stay as they were (no rewrites)", async () => {
    const draft = await ok(create({ clientId: acme, lines: [manual("Draft", 1, 100)] }));
    expect((await pay(draft.id, 100)).status).toBe(409);
    const inv = await issuedInvoice();
    const voided = await ok(owner.client.mutate("invoices.void", { org, id: inv.id, reason: "Duplicate" }));
    expect((await pay(voided.id, 100)).status).toBe(409);

    const live = await issuedInvoice();
    const p = await ok(pay(live.id, 100));
    await expect(
      inFile(owner.tenantId, (db) => db.updateTable("payments").set({ amount: 1 }).where("id", "=", p.payment.id).execute()),
    ).rejects.toThrow(/payments cannot be changed/);
    await expect(
      inFile(owner.tenantId, (db) =>
        db
          .insertInto("payments")
          .values({
            id: newId("y"),
            invoice_id: draft.id,
            paid_on: "2026-01-01",
            amount: 1,
            method: "cash",
            reference: "",
            note: "",
            created_by: null,
            created_at: 0,
          })
          .execute(),
      ),
    ).rejects.toThrow(/only be recorded against an issued invoice/);
  });

  it("never records a card number in a free-text field", async () => {
    const inv = await issuedInvoice([manual("Work", 1, 1_000_000)]);
    const before = tenantDigest(instance.dataDir, owner.tenantId);
    for (const extra of [
      { reference: "4111 1111 1111 1111" },
      { note: "paid with 5555-5555-5555-4444 exp 12/29" },
      { reference: "card 4111111111111111" },
      { note: "Visa 4111 1111 1111 1111 123" }, // followed by its CVV
      { reference: "３７８２８２２４６３１０００５" }, // full-width digits (an Amex test number)
    ]) {
      const res = await pay(inv.id, 100, { method: "card", ...extra });
      expect(res.status).toBe(400);
      expect(res.error?.code).toBe("BAD_REQUEST");
      expect(res.error?.message).toContain("That looks like a card number; never record card numbers here.");
      expect(JSON.stringify(res.error)).not.toMatch(/4111|5555|3782/);
    }
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(before);
    const file = tenantFilePath(instance.dataDir, owner.tenantId);
    for (const suffix of ["", "-wal"]) {
      const bytes = existsSync(file + suffix) ? readFileSync(file + suffix).toString("latin1") : "";
      expect(bytes).not.toContain("4111 1111 1111 1111");
      expect(bytes).not.toContain("4111111111111111");
      expect(bytes).not.toContain("5555-5555-5555-4444");
    }
    expect(instance.logs.join("\n")).not.toMatch(/4111|5555-5555/);

    // Long numbers that are not card numbers are fine: a non-Luhn 16-digit order number, an IBAN.
    const okRef = await ok(pay(inv.id, 100, { reference: "Order 1234 5678 9012 3456", note: "From DE89 3704 0044 0532 0130 00" }));
    expect(okRef.payment).toMatchObject({ reference: "Order 1234 5678 9012 3456", note: "From DE89 3704 0044 0532 0130 00" });
  });
});

describe("who sees what", () => {
  async function customRole(name: string, permissions: string[]) {
    const id = newId("r");
    await inFile(owner.tenantId, (db) =>
      db
        .insertInto("roles")
        .values({ id, name, description: "", permissions: JSON.stringify(permissions), created_at: 0, updated_at: 0 })
        .execute(),
    );
    return id;
  }

  it("shows a client contact their own client's invoices and payments only", async () => {
    const mine = await issuedInvoice([manual("Acme work", 1, 5_000)]);
    const p = await ok(
      owner.client.mutate("payments.create", { org, invoiceId: mine.id, paidOn: payDay(), amount: 1_000, method: "cash" }),
    );
    const draft = await ok(create({ clientId: globex, lines: [manual("Globex work", 1, 7_000)] }));
    const theirs = await ok(owner.client.mutate("invoices.issue", { org, id: draft.id }));
    const theirPayment = await ok(
      owner.client.mutate("payments.create", { org, invoiceId: theirs.id, paidOn: payDay(), amount: 1_000, method: "cash" }),
    );

    const role = await customRole("Client billing", ["invoice.read", "payment.read", "payment.delete", "invoice.update"]);
    const contact = await verifiedUser(instance, "Acme Contact");
    const user = await addMember(instance, owner.tenantId, contact.email, role);
    await inFile(owner.tenantId, (db) => db.updateTable("members").set({ client_id: acme }).where("user_id", "=", user.id).execute());

    const list = await ok(contact.client.query("invoices.list", { org, limit: 200 }));
    expect(list.length).toBeGreaterThan(0);
    expect(new Set(list.map((i: OutputOf<"invoices.list">[number]) => i.client_id))).toEqual(new Set([acme]));
    expect(list.map((i: OutputOf<"invoices.list">[number]) => i.id)).toContain(mine.id);
    expect((await contact.client.query("invoices.list", { org, clientId: globex })).data).toEqual([]);
    expect((await ok(contact.client.query("invoices.get", { org, id: mine.id }))).lines).toHaveLength(1);
    expect(
      (await ok(contact.client.query("payments.list", { org, invoiceId: mine.id }))).map((x: OutputOf<"payments.list">[number]) => x.id),
    ).toEqual([p.payment.id]);

    const before = tenantDigest(instance.dataDir, owner.tenantId);
    for (const res of [
      await contact.client.query("invoices.get", { org, id: theirs.id }),
      await contact.client.query("payments.list", { org, invoiceId: theirs.id }),
      await contact.client.mutate("payments.delete", { org, id: theirPayment.payment.id }),
      await contact.client.mutate("invoices.update", { org, id: draft.id, notes: "peek" }),
    ]) {
      expect(res.status).toBe(404);
      expect(JSON.stringify(res)).not.toContain("Globex");
    }
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(before);
  });

  it("bills only time of projects the caller may see", async () => {
    const hidden = await entry({ project: web, start: "2026-06-01T08:00:00Z", seconds: 3600, rate: 12050 });
    const shared = await entry({ project: app, start: "2026-06-02T08:00:00Z", seconds: 3600, rate: 9000 });
    const role = await customRole("Biller", ["invoice.read", "invoice.create", "invoice.delete"]);
    const biller = await verifiedUser(instance, "Biller");
    await addMember(instance, owner.tenantId, biller.email, role);
    await inFile(owner.tenantId, (db) =>
      db
        .insertInto("project_shares")
        .values({ project_id: app, subject_kind: "role", subject_id: role, created_by: null, created_at: 0 })
        .execute(),
    );
    const range = { from: "2026-06-01", to: "2026-06-30" };

    const preview = await ok(biller.client.query("invoices.preview", { org, clientId: acme, ...range }));
    expect(preview.lines.map((l: Line<"invoices.preview">) => l.project_id)).toEqual([app]);
    expect(JSON.stringify(preview)).not.toContain("Website");
    const draft = await ok(biller.client.mutate("invoices.create", { org, clientId: acme, ...range }));
    expect(await invoiceOf([hidden, shared])).toEqual({ [hidden]: null, [shared]: draft.id });

    // The owner sees every project: the rest is still there to bill.
    expect((await ok(owner.client.query("invoices.preview", { org, clientId: acme, ...range }))).entries).toBe(1);
    await ok(biller.client.mutate("invoices.delete", { org, id: draft.id }));
    // Without the permission: refused at the door, whatever the input.
    expect((await biller.client.mutate("invoices.issue", { org, id: draft.id })).status).toBe(403);
  });
});
