import { CompiledQuery } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInTenant } from "../../db/tenant/context";
import { scopedEntries, total, totals, AMOUNT } from "../../db/tenant/reports/scope";
import { unbilledEntries } from "../../db/tenant/reports/unbilled";
import { FULL_ACCESS } from "../../db/tenant/visibility";
import { newId } from "../auth/tokens";
import type { Client, OutputOf } from "./support/client";
import { addMember, userWithOrg, verifiedUser } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";

/**
 * Reports over real HTTP. Entries are written straight into the tenant file, so every figure below
 * is known exactly; amounts are sums of round-half-up(seconds × rate / 3600) per billable entry.
 * The clock is set to Wednesday 15 May 2024, 12:00 UTC, for the dashboard's "this week/month".
 */

let instance: Instance;
const NOW = Date.parse("2024-05-15T12:00:00Z");
const MAY = { from: "2024-05-01", to: "2024-05-31" };

interface EntrySpec {
  member: string;
  project: string;
  start: string;
  /** null: a running timer. */
  seconds: number | null;
  rate?: number;
  billable?: boolean;
  invoice?: string;
}

async function insertEntries(tenantId: string, specs: EntrySpec[]) {
  const rows = specs.map((e) => {
    const startedAt = Date.parse(e.start);
    return {
      id: newId("e"),
      member_id: e.member,
      project_id: e.project,
      task_id: null,
      started_at: startedAt,
      ended_at: e.seconds === null ? null : startedAt + e.seconds * 1000,
      duration_seconds: e.seconds ?? 0,
      note: "",
      billable: e.billable === false ? 0 : 1,
      hourly_rate: e.rate ?? 3600,
      invoice_id: e.invoice ?? null,
      created_at: startedAt,
      updated_at: startedAt,
    };
  });
  const lease = await instance.services.pool.acquire(tenantId);
  try {
    await lease.db.insertInto("time_entries").values(rows).execute();
  } finally {
    lease.release();
  }
}

/** An issued invoice's row, for entries that say they are on it (financials reads the invoice's state). */
async function issuedInvoiceRow(tenantId: string, id: string, clientId: string) {
  const lease = await instance.services.pool.acquire(tenantId);
  try {
    await lease.db
      .insertInto("invoices")
      .values({
        id,
        client_id: clientId,
        number: "INV-2024-0001",
        status: "issued",
        currency: "EUR",
        tax_rate_bp: 0,
        subtotal: 1000,
        tax: 0,
        total: 1000,
        period_from: null,
        period_to: null,
        issue_date: "2024-06-01",
        due_date: null,
        notes: "",
        issued_at: NOW,
        paid_at: null,
        voided_at: null,
        void_reason: null,
        created_by: null,
        created_at: NOW,
        updated_at: NOW,
      })
      .execute();
  } finally {
    lease.release();
  }
}

async function shareWith(tenantId: string, projectId: string, userId: string) {
  const lease = await instance.services.pool.acquire(tenantId);
  try {
    await lease.db
      .insertInto("project_shares")
      .values({ project_id: projectId, subject_kind: "member", subject_id: userId, created_by: null, created_at: Date.now() })
      .execute();
  } finally {
    lease.release();
  }
}

async function userId(email: string) {
  return (await instance.services.control.selectFrom("users").select("id").where("email", "=", email).executeTakeFirstOrThrow()).id;
}

/** One row of a report, as the router types it. */
type Row<P extends string> = OutputOf<P> extends { rows: readonly (infer R)[] } ? R : never;

async function ok<T>(res: Promise<{ status: number; data: T; error: unknown }>): Promise<T> {
  const r = await res;
  if (r.status !== 200) throw new Error(`expected 200, got ${r.status}: ${JSON.stringify(r.error)}`);
  return r.data;
}

const create = async (c: Client, path: string, input: Record<string, unknown>) => (await ok(c.mutate(path, input))).id as string;

/** A member who is not the owner, made quickly (the invitation flow is tested elsewhere). */
async function member(tenantId: string, name: string, role: string) {
  const user = await verifiedUser(instance, name);
  const added = await addMember(instance, tenantId, user.email, role);
  return { client: user.client, id: added.id };
}

beforeAll(async () => {
  instance = await startInstance();
  // Into the past, so no session outlives its absolute lifetime.
  instance.clock.advance(NOW - instance.clock.now());
});
afterAll(() => instance.stop());

describe("hours, budgets, utilisation, unbilled, financials and the dashboard", () => {
  let owner: Awaited<ReturnType<typeof userWithOrg>>;
  const org = "rep-main";
  const ids = {} as Record<"O" | "W" | "acme" | "evil" | "P1" | "P2" | "P3", string>;
  const hours = (input: Record<string, unknown>) => ok(owner.client.query("reports.hours", { org, ...MAY, ...input }));

  beforeAll(async () => {
    owner = await userWithOrg(instance, org);
    ids.O = await userId(owner.email);
    ids.W = (await member(owner.tenantId, "Worker", "member")).id;
    ids.acme = await create(owner.client, "clients.create", { org, name: "Acme" });
    ids.evil = await create(owner.client, "clients.create", { org, name: "=SUM(A1:A9)" });
    ids.P1 = await create(owner.client, "projects.create", {
      org,
      clientId: ids.acme,
      name: "Website",
      hourlyRate: 10000,
      budgetSeconds: 36000,
    });
    ids.P2 = await create(owner.client, "projects.create", { org, clientId: ids.acme, name: "App", hourlyRate: 9000, budgetSeconds: 3600 });
    ids.P3 = await create(owner.client, "projects.create", { org, clientId: ids.evil, name: "Formula", hourlyRate: 6000 });
    const { O, W, P1, P2, P3 } = ids;
    await issuedInvoiceRow(owner.tenantId, "i" + "a".repeat(24), ids.evil);
    await insertEntries(owner.tenantId, [
      { member: O, project: P1, start: "2024-05-06T09:00:00Z", seconds: 3600, rate: 10000 }, // 10000
      { member: O, project: P1, start: "2024-05-07T10:00:00Z", seconds: 1800, rate: 10001 }, // 5000.5 → 5001
      { member: O, project: P2, start: "2024-05-12T09:00:00Z", seconds: 7200, rate: 9000, billable: false }, // a Sunday; bills nothing
      { member: W, project: P2, start: "2024-05-20T09:00:00Z", seconds: 5400, rate: 12345 }, // 18517.5 → 18518
      { member: W, project: P3, start: "2024-05-31T23:00:00Z", seconds: 1000, rate: 3600, invoice: "i" + "a".repeat(24) }, // 1000, invoiced
      { member: O, project: P3, start: "2024-06-01T00:30:00Z", seconds: 600, rate: 6000 }, // 1000, June
      { member: O, project: P1, start: "2024-05-08T09:00:00Z", seconds: null, rate: 10000 }, // running: counts nowhere
      { member: W, project: P1, start: "2024-04-30T23:59:59Z", seconds: 3600, rate: 10000 }, // 10000, April
      { member: O, project: P2, start: "2024-05-14T09:00:00Z", seconds: 1, rate: 1800 }, // 0.5 → 1
      { member: O, project: P2, start: "2024-05-14T10:00:00Z", seconds: 1, rate: 1799 }, // 0.4997 → 0
    ]);
  });

  it("groups May by project, with exact seconds and half-up amounts", async () => {
    const r = await hours({ groupBy: "project" });
    expect(r.rows.map((x: Row<"reports.hours">) => [x.label, x.clientName, x.seconds, x.billableSeconds, x.amount])).toEqual([
      ["App", "Acme", 12602, 5402, 18519],
      ["Website", "Acme", 5400, 5400, 15001],
      ["Formula", "=SUM(A1:A9)", 1000, 1000, 1000],
    ]);
    expect(r.totals).toEqual({ seconds: 19002, billableSeconds: 11802, amount: 34520, otherAmounts: [] });
    expect(r).toMatchObject({ currency: "EUR", timeZone: "UTC", weekStart: 1, today: "2024-05-15", range: MAY });
  });

  it("groups by client and by member, and filters by client, project and member", async () => {
    const byClient = await hours({ groupBy: "client" });
    expect(byClient.rows.map((x: Row<"reports.hours">) => [x.key, x.seconds, x.billableSeconds, x.amount])).toEqual([
      [ids.acme, 18002, 10802, 33520],
      [ids.evil, 1000, 1000, 1000],
    ]);
    const byMember = await hours({ groupBy: "member" });
    expect(byMember.rows.map((x: Row<"reports.hours">) => [x.key, x.label, x.seconds, x.amount])).toEqual([
      [ids.O, `Owner of ${org}`, 12602, 15002],
      [ids.W, "Worker", 6400, 19518],
    ]);
    expect((await hours({ groupBy: "member", clientId: ids.evil })).rows.map((x: Row<"reports.hours">) => [x.key, x.seconds])).toEqual([
      [ids.W, 1000],
    ]);
    expect((await hours({ groupBy: "client", projectId: ids.P1 })).totals).toEqual({
      seconds: 5400,
      billableSeconds: 5400,
      amount: 15001,
      otherAmounts: [],
    });
    expect((await hours({ groupBy: "project", memberId: ids.W })).rows.map((x: Row<"reports.hours">) => [x.key, x.seconds])).toEqual([
      [ids.P2, 5400],
      [ids.P3, 1000],
    ]);
  });

  it("buckets by week from the organisation's week start, every week of the range, empty ones too", async () => {
    const monday = await hours({ groupBy: "week" });
    expect(monday.rows.map((x: Row<"reports.hours">) => [x.key, x.from, x.to, x.seconds, x.amount])).toEqual([
      ["2024-04-29", "2024-05-01", "2024-05-05", 0, 0],
      ["2024-05-06", "2024-05-06", "2024-05-12", 12600, 15001],
      ["2024-05-13", "2024-05-13", "2024-05-19", 2, 1],
      ["2024-05-20", "2024-05-20", "2024-05-26", 5400, 18518],
      ["2024-05-27", "2024-05-27", "2024-05-31", 1000, 1000],
    ]);
    await ok(owner.client.mutate("settings.update", { org, weekStart: 7 }));
    try {
      const sunday = await hours({ groupBy: "week" });
      expect(sunday.rows.map((x: Row<"reports.hours">) => [x.key, x.seconds])).toEqual([
        ["2024-04-28", 0],
        ["2024-05-05", 5400],
        ["2024-05-12", 7202],
        ["2024-05-19", 5400],
        ["2024-05-26", 1000],
      ]);
    } finally {
      await ok(owner.client.mutate("settings.update", { org, weekStart: 1 }));
    }
  });

  it("buckets by month", async () => {
    const r = await hours({ groupBy: "month", from: "2024-03-01", to: "2024-06-30" });
    expect(r.rows.map((x: Row<"reports.hours">) => [x.key, x.seconds, x.amount])).toEqual([
      ["2024-03", 0, 0],
      ["2024-04", 3600, 10000],
      ["2024-05", 19002, 34520],
      ["2024-06", 600, 1000],
    ]);
  });

  it("shows budget burn of all time, most burnt first, and flags the project over budget", async () => {
    const r = await ok(owner.client.query("reports.budgets", { org }));
    expect(r.rows.map((x: Row<"reports.budgets">) => [x.projectName, x.budgetSeconds, x.trackedSeconds, x.percent, x.overBudget])).toEqual([
      ["App", 3600, 12602, 350, true],
      ["Website", 36000, 9000, 25, false],
    ]);
    expect(r.overBudget).toBe(1);
  });

  it("shows utilisation per member in the range", async () => {
    const r = await ok(owner.client.query("reports.utilisation", { org, ...MAY }));
    expect(r.rows).toEqual([
      { memberId: ids.O, name: `Owner of ${org}`, trackedSeconds: 12602, billableSeconds: 5402, billableRatio: 5402 / 12602 },
      { memberId: ids.W, name: "Worker", trackedSeconds: 6400, billableSeconds: 6400, billableRatio: 1 },
    ]);
    expect(r.totals).toEqual({ trackedSeconds: 19002, billableSeconds: 11802, billableRatio: 11802 / 19002 });
  });

  it("lists unbilled time without invoiced, non-billable or running entries, all time or in a range", async () => {
    const all = await ok(owner.client.query("reports.unbilled", { org }));
    const pick = (rows: Row<"reports.unbilled">[]) =>
      Object.fromEntries(rows.map((x) => [x.projectName, [x.clientName, x.entries, x.seconds, x.amount]]));
    expect(pick(all.rows)).toEqual({
      Website: ["Acme", 3, 9000, 25001],
      App: ["Acme", 3, 5402, 18519],
      Formula: ["=SUM(A1:A9)", 1, 600, 1000],
    });
    expect(all.totals).toEqual({ entries: 7, seconds: 15002, amount: 44520 });
    const may = await ok(owner.client.query("reports.unbilled", { org, ...MAY }));
    expect(pick(may.rows)).toEqual({ Website: ["Acme", 2, 5400, 15001], App: ["Acme", 3, 5402, 18519] });
  });

  it("shows each project's rate, budget, billable, unbilled, draft, invoiced and paid amounts", async () => {
    const r = await ok(owner.client.query("reports.financials", { org }));
    expect(
      r.rows.map((x: Row<"reports.financials">) => [
        x.projectName,
        x.currency,
        x.hourlyRate,
        x.budgetSeconds,
        x.billableAmount,
        x.unbilledAmount,
        x.draftAmount,
        x.invoicedAmount,
        x.paidAmount,
      ]),
    ).toEqual([
      ["App", "EUR", 9000, 3600, 18519, 18519, 0, 0, 0],
      ["Formula", "EUR", 6000, null, 2000, 1000, 0, 1000, 0],
      ["Website", "EUR", 10000, 36000, 25001, 25001, 0, 0, 0],
    ]);
    expect(r.totals).toEqual([
      { currency: "EUR", billableAmount: 45520, unbilledAmount: 44520, draftAmount: 0, invoicedAmount: 1000, paidAmount: 0 },
    ]);
  });

  it("exports a report as CSV with a header row, and a name starting with = arrives as text", async () => {
    const r = await ok(owner.client.query("reports.export", { org, report: "hours", groupBy: "client", ...MAY }));
    expect(r.filename).toBe("rep-main-hours-by-client-2024-05-01-to-2024-05-31.csv");
    expect(r.content).toBe(
      "\uFEFFclient,hours,billable_hours,seconds,billable_seconds,amount,currency\r\n" +
        "Acme,5.00,3.00,18002,10802,335.20,EUR\r\n" +
        "'=SUM(A1:A9),0.28,0.28,1000,1000,10.00,EUR\r\n",
    );
    const budgets = await ok(owner.client.query("reports.export", { org, report: "budgets" }));
    expect(budgets.filename).toBe("rep-main-budgets-all-time.csv");
    expect(budgets.content.split("\r\n").slice(0, 3)).toEqual([
      "\uFEFFproject,client,budget_hours,tracked_hours,percent_used,over_budget",
      "App,Acme,1.00,3.50,350,yes",
      "Website,Acme,10.00,2.50,25,no",
    ]);
    const weeks = await ok(owner.client.query("reports.export", { org, report: "hours", groupBy: "week", ...MAY }));
    expect(weeks.content.split("\r\n")[2]).toBe("2024-05-06,2024-05-06,2024-05-12,3.50,1.50,12600,5400,150.01,EUR");
    const unbilled = await ok(owner.client.query("reports.export", { org, report: "unbilled" }));
    expect(unbilled.content).toContain("\r\n'=SUM(A1:A9),Formula,1,0.17,600,10.00,EUR\r\n");
  });

  it("refuses a backwards range, one over 3 years, and half a range, with readable sentences", async () => {
    const backwards = await owner.client.query("reports.hours", { org, from: "2024-05-02", to: "2024-05-01" });
    expect(backwards.status).toBe(400);
    expect(backwards.error?.fieldErrors).toEqual({ to: ["The range ends before it starts."] });
    const long = await owner.client.query("reports.utilisation", { org, from: "2021-01-01", to: "2024-01-01" });
    expect(long.error?.fieldErrors).toEqual({ to: ["A report covers at most 3 years; choose a shorter range."] });
    expect((await owner.client.query("reports.utilisation", { org, from: "2021-01-01", to: "2023-12-31" })).status).toBe(200);
    const garbled = await owner.client.query("reports.hours", { org, from: "x", to: "2024-02-30" });
    expect(garbled.status).toBe(400);
    expect(garbled.error?.fieldErrors).toEqual({ from: ["Use a date such as 2024-05-31."], to: ["Use a date such as 2024-05-31."] });
    const half = await owner.client.query("reports.unbilled", { org, from: "2024-01-01" });
    expect(half.error?.fieldErrors).toEqual({ to: ["Give both ends of the range, or neither."] });
  });

  it("sums the dashboard's figures for this week and month in the organisation's zone", async () => {
    const d = await ok(owner.client.query("dashboard.summary", { org }));
    expect(d).toEqual({
      currency: "EUR",
      timeZone: "UTC",
      week: { from: "2024-05-13", to: "2024-05-19" },
      month: { from: "2024-05-01", to: "2024-05-31" },
      secondsThisWeek: 2,
      secondsThisMonth: 19002,
      billableAmountThisMonth: 34520,
      unbilledAmount: 44520,
      activeProjects: 3,
      projectsWithBudget: 2,
      projectsOverBudget: 1,
      topProjects: [
        { projectId: ids.P2, name: "App", clientName: "Acme", seconds: 12602, amount: 18519 },
        { projectId: ids.P1, name: "Website", clientName: "Acme", seconds: 5400, amount: 15001 },
        { projectId: ids.P3, name: "Formula", clientName: "=SUM(A1:A9)", seconds: 1000, amount: 1000 },
      ],
    });
  });
});

describe("query plans", () => {
  it("range-scans the covering indexes of 0006 instead of reading the table", async () => {
    const { tenantId } = await userWithOrg(instance, "rep-plans");
    const lease = await instance.services.pool.acquire(tenantId);
    try {
      const plan = (build: () => { compile(): CompiledQuery }) =>
        runInTenant({ tenantId, db: lease.db, access: FULL_ACCESS }, async () => {
          const q = build().compile();
          const rows = await lease.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${q.sql}`, [...q.parameters]));
          return rows.rows.map((r) => r.detail).join("\n");
        });
      const month = await plan(() =>
        scopedEntries({ ownMemberId: null, startMs: 0, endMs: 1 }).select(totals()).groupBy("time_entries.project_id"),
      );
      expect(month).toContain("USING COVERING INDEX time_entries_report (project_id=? AND started_at>? AND started_at<?)");
      const own = await plan(() => scopedEntries({ ownMemberId: "u1", startMs: 0, endMs: 1 }).select(totals()));
      expect(own).toContain("USING INDEX time_entries_member_start (member_id=? AND started_at>? AND started_at<?)");
      const unbilled = await plan(() => unbilledEntries({ ownMemberId: null }).select(total(AMOUNT).as("amount")));
      expect(unbilled).toContain("USING COVERING INDEX time_entries_unbilled (project_id=?)");
    } finally {
      lease.release();
    }
  });
});

describe("time zones", () => {
  let owner: Awaited<ReturnType<typeof userWithOrg>>;
  const org = "rep-zones";
  const byMonth = async (timeZone: string) => {
    await ok(owner.client.mutate("settings.update", { org, timeZone }));
    const r = await ok(owner.client.query("reports.hours", { org, groupBy: "month", from: "2024-05-01", to: "2024-06-30" }));
    return r.rows.map((x: Row<"reports.hours">) => [x.key, x.seconds]);
  };

  beforeAll(async () => {
    owner = await userWithOrg(instance, org);
    const me = await userId(owner.email);
    const client = await create(owner.client, "clients.create", { org, name: "Zone Co" });
    const project = await create(owner.client, "projects.create", { org, clientId: client, name: "Zones" });
    await insertEntries(owner.tenantId, [
      { member: me, project, start: "2024-06-01T06:30:00Z", seconds: 600 }, // LA: 31 May 23:30 · Auckland: 1 Jun 18:30
      { member: me, project, start: "2024-05-31T12:30:00Z", seconds: 60 }, // LA: 31 May 05:30 · Auckland: 1 Jun 00:30
      { member: me, project, start: "2024-05-01T06:59:00Z", seconds: 6 }, // LA: 30 Apr 23:59 · Auckland: 1 May 18:59
    ]);
  });

  it("counts an entry at 23:30 local on the last day of a month in that local month", async () => {
    expect(await byMonth("America/Los_Angeles")).toEqual([
      ["2024-05", 660],
      ["2024-06", 0],
    ]);
    expect(await byMonth("UTC")).toEqual([
      ["2024-05", 66],
      ["2024-06", 600],
    ]);
    expect(await byMonth("Pacific/Auckland")).toEqual([
      ["2024-05", 6],
      ["2024-06", 660],
    ]);
  });

  it("reads a one-day range as that local day", async () => {
    await ok(owner.client.mutate("settings.update", { org, timeZone: "America/Los_Angeles" }));
    const r = await ok(owner.client.query("reports.hours", { org, groupBy: "project", from: "2024-05-31", to: "2024-05-31" }));
    expect(r.totals.seconds).toBe(660);
  });
});

describe("visibility and whose time counts", () => {
  let owner: Awaited<ReturnType<typeof userWithOrg>>;
  const org = "rep-vis";
  let viewer: Awaited<ReturnType<typeof member>>;
  let lead: Awaited<ReturnType<typeof member>>;
  let teammate: Awaited<ReturnType<typeof member>>;
  let ownerId: string;
  let shared: string;
  let hidden: string;
  const BASE = ["project.read", "client.read", "dashboard.view", "time.read.own", "report.view", "report.export"];

  beforeAll(async () => {
    owner = await userWithOrg(instance, org);
    ownerId = await userId(owner.email);
    const reporter = await create(owner.client, "roles.create", { org, name: "Reporter", permissions: BASE });
    const allTime = await create(owner.client, "roles.create", { org, name: "Team lead", permissions: [...BASE, "time.read.all"] });
    viewer = await member(owner.tenantId, "Viewer", reporter);
    lead = await member(owner.tenantId, "Lead", allTime);
    teammate = await member(owner.tenantId, "Teammate", "member");
    const client = await create(owner.client, "clients.create", { org, name: "Vis Co" });
    shared = await create(owner.client, "projects.create", { org, clientId: client, name: "Shared one", budgetSeconds: 36000 });
    hidden = await create(owner.client, "projects.create", { org, clientId: client, name: "Secret one", budgetSeconds: 3600 });
    for (const m of [viewer, lead, teammate]) await shareWith(owner.tenantId, shared, m.id);
    await insertEntries(owner.tenantId, [
      { member: ownerId, project: shared, start: "2024-05-06T09:00:00Z", seconds: 1000 },
      { member: viewer.id, project: shared, start: "2024-05-07T09:00:00Z", seconds: 200 },
      { member: ownerId, project: hidden, start: "2024-05-08T09:00:00Z", seconds: 5000 },
      // Their own time on a project they can no longer see stays out too.
      { member: viewer.id, project: hidden, start: "2024-05-09T09:00:00Z", seconds: 30 },
      { member: teammate.id, project: shared, start: "2024-05-14T09:00:00Z", seconds: 7 },
    ]);
  });

  const everything = (c: Client) =>
    Promise.all([
      ok(c.query("reports.hours", { org, ...MAY, groupBy: "project" })),
      ok(c.query("reports.hours", { org, ...MAY, groupBy: "client" })),
      ok(c.query("reports.hours", { org, ...MAY, groupBy: "member" })),
      ok(c.query("reports.hours", { org, ...MAY, groupBy: "week" })),
      ok(c.query("reports.hours", { org, ...MAY, groupBy: "month" })),
      ok(c.query("reports.budgets", { org })),
      ok(c.query("reports.utilisation", { org, ...MAY })),
      ok(c.query("reports.unbilled", { org })),
      ok(c.query("reports.export", { org, report: "hours", groupBy: "project", ...MAY })),
      ok(c.query("dashboard.summary", { org })),
    ]);

  it("counts everything for the owner", async () => {
    const [byProject, byClient, , , , budgets, , , , dash] = await everything(owner.client);
    expect(byProject.rows.map((x: Row<"reports.hours">) => [x.key, x.seconds])).toEqual([
      [hidden, 5030],
      [shared, 1207],
    ]);
    expect(byClient.totals.seconds).toBe(6237);
    expect(budgets.overBudget).toBe(1);
    expect(dash).toMatchObject({ secondsThisMonth: 6237, activeProjects: 2, projectsOverBudget: 1 });
  });

  it("shows a member without time.read.all only their own time on projects they can see", async () => {
    const results = await everything(viewer.client);
    const [byProject, byClient, byMember, byWeek, byMonth, budgets, utilisation, unbilled, csv, dash] = results;
    for (const r of results) {
      expect(JSON.stringify(r)).not.toContain(hidden);
      expect(JSON.stringify(r)).not.toContain("Secret one");
    }
    expect(byProject.rows.map((x: Row<"reports.hours">) => [x.key, x.seconds])).toEqual([[shared, 200]]);
    expect(byClient.totals.seconds).toBe(200);
    expect(byMember.rows.map((x: Row<"reports.hours">) => [x.key, x.seconds])).toEqual([[viewer.id, 200]]);
    expect(byWeek.totals.seconds).toBe(200);
    expect(byMonth.rows.map((x: Row<"reports.hours">) => x.seconds)).toEqual([200]);
    expect(budgets.rows.map((x: Row<"reports.budgets">) => [x.projectId, x.trackedSeconds])).toEqual([[shared, 200]]);
    expect(utilisation.rows).toEqual([
      { memberId: viewer.id, name: "Viewer", trackedSeconds: 200, billableSeconds: 200, billableRatio: 1 },
    ]);
    // The Reporter role has no project.rates.view: hours yes, amounts null (issue 25).
    expect(unbilled.totals).toEqual({ entries: 1, seconds: 200, amount: null });
    expect(csv.content.split("\r\n").filter(Boolean)).toHaveLength(2);
    expect(dash).toMatchObject({
      secondsThisMonth: 200,
      secondsThisWeek: 0,
      activeProjects: 1,
      projectsOverBudget: 0,
      billableAmountThisMonth: null,
    });
    expect(dash.topProjects.map((p: OutputOf<"dashboard.summary">["topProjects"][number]) => p.projectId)).toEqual([shared]);
  });

  it("shows everyone's time with time.read.all, still only on projects the caller can see", async () => {
    const results = await everything(lead.client);
    const [byProject, byClient, byMember, , , budgets, utilisation, unbilled, , dash] = results;
    for (const r of results) expect(JSON.stringify(r)).not.toContain(hidden);
    expect(byProject.rows.map((x: Row<"reports.hours">) => [x.key, x.seconds])).toEqual([[shared, 1207]]);
    expect(byClient.totals.seconds).toBe(1207);
    expect(byMember.rows.map((x: Row<"reports.hours">) => [x.key, x.seconds])).toEqual([
      [ownerId, 1000],
      [viewer.id, 200],
      [teammate.id, 7],
    ]);
    expect(budgets.rows.map((x: Row<"reports.budgets">) => [x.projectId, x.trackedSeconds])).toEqual([[shared, 1207]]);
    expect(utilisation.rows.map((x: Row<"reports.utilisation">) => [x.name, x.trackedSeconds])).toEqual([
      ["Lead", 0],
      [`Owner of ${org}`, 1000],
      ["Teammate", 7],
      ["Viewer", 200],
    ]);
    expect(unbilled.totals.seconds).toBe(1207);
    expect(dash).toMatchObject({ secondsThisMonth: 1207, secondsThisWeek: 7, projectsOverBudget: 0 });
  });

  it("gives a plain member the dashboard's hours and counts, and no money", async () => {
    const dash = await ok(teammate.client.query("dashboard.summary", { org }));
    expect(dash).toMatchObject({
      secondsThisWeek: 7,
      secondsThisMonth: 7,
      billableAmountThisMonth: null,
      unbilledAmount: null,
      activeProjects: 1,
    });
    expect(dash.topProjects).toEqual([{ projectId: shared, name: "Shared one", clientName: "Vis Co", seconds: 7, amount: null }]);
    const refused = await teammate.client.query("reports.hours", { org, ...MAY });
    expect(refused.status).toBe(403);
  });

  it("refuses financials, and their export, without project.rates.view", async () => {
    expect((await viewer.client.query("reports.financials", { org })).status).toBe(403);
    const res = await viewer.client.query("reports.export", { org, report: "financials" });
    expect(res.status).toBe(403);
    expect(res.error?.message).toContain("project.rates.view");
  });
});
