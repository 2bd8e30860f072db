import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { permissionGroups } from "../../app/lib/permission-groups.server";
import { detailForReader, NOT_SHARED } from "../access/channel-rules";
import { ALL_PERMISSIONS, REVEALING_PERMISSIONS, revealsOf } from "../permissions/catalogue";
import { inviteMember, userWithOrg } from "./support/accounts";
import { ok, type Client } from "./support/client";
import { startInstance, type Instance } from "./support/instance";

/**
 * Issue 25, items 1, 3 and 4: the lists' visibility rule on the side channels (personal export,
 * invoices, the audit log, reports and the dashboard), over HTTP against a real instance. Where a
 * permission keeps broad sight on purpose the catalogue declares it, and these tests read that
 * declaration rather than a copy of it.
 */

const org = "chan-data";
let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
let member: Awaited<ReturnType<typeof inviteMember>>;
let acme: string;
let unshared: string;
let neverShared: string;
let ownerTask: string;
let memberTask: string;

const call = async (c: Client, kind: "query" | "mutate", path: string, input: Record<string, unknown>) =>
  ok(await c[kind](path, { org, ...input }), path);

/** A member whose custom role holds `permissions`, invited through the API. */
async function withRole(name: string, permissions: readonly string[]) {
  const role = await call(owner.client, "mutate", "roles.create", { name, permissions });
  return inviteMember(instance, owner.client, org, role.id as string);
}

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, org);
  await call(owner.client, "mutate", "settings.update", { timeZone: "UTC", currency: "EUR" });
  acme = (await call(owner.client, "mutate", "clients.create", { name: "Acme" })).id;
  unshared = (await call(owner.client, "mutate", "projects.create", { clientId: acme, name: "Shared at first", hourlyRate: 10000 })).id;
  neverShared = (await call(owner.client, "mutate", "projects.create", { clientId: acme, name: "NEVERSHARED-Project", hourlyRate: 20000 }))
    .id;
  member = await inviteMember(instance, owner.client, org, "member");
  await call(owner.client, "mutate", "sharing.add", { projectId: unshared, subject: { kind: "member", id: member.userId } });

  ownerTask = (await call(owner.client, "mutate", "tasks.create", { projectId: unshared, title: "Owner's plan" })).id;
  memberTask = (await call(member.client, "mutate", "tasks.create", { projectId: unshared, title: "Member wrote this title" })).id;
  await call(member.client, "mutate", "comments.create", { taskId: ownerTask, body: "MEMBER-COMMENT on the owner's plan" });
  await call(member.client, "mutate", "time.create", {
    projectId: unshared,
    date: "2026-01-05",
    durationSeconds: 1800,
    note: "my own half hour",
  });
  // Time the owner logs for the member where the member never had sight.
  await call(owner.client, "mutate", "time.createFor", {
    memberId: member.userId,
    projectId: neverShared,
    date: "2026-01-06",
    durationSeconds: 5400,
    note: "NEVERSHARED-owner's note",
  });

  // Then the project is taken away, renamed and its tasks rewritten.
  await call(owner.client, "mutate", "sharing.remove", { projectId: unshared, subject: { kind: "member", id: member.userId } });
  await call(owner.client, "mutate", "projects.update", { id: unshared, name: "RENAMED-after-unsharing" });
  for (const id of [ownerTask, memberTask]) {
    await call(owner.client, "mutate", "tasks.update", { id, title: "REWRITTEN-title", description: "REWRITTEN-description" });
  }
});
afterAll(() => instance.stop());

describe("the personal data export keeps the lists' rule", () => {
  it("after unsharing: the member's own words, placeholders for the project and tasks, none of the owner's new text", async () => {
    const data = await call(member.client, "query", "account.exportData", {});
    const text = JSON.stringify(data);
    expect(text).not.toContain("RENAMED-after-unsharing");
    expect(text).not.toContain("REWRITTEN");
    expect(text).not.toContain("Owner's plan");
    expect(text).not.toContain("Shared at first");
    const mine = data.organisations.find((o: { slug: string }) => o.slug === org);
    expect(mine.comments).toEqual([expect.objectContaining({ body: "MEMBER-COMMENT on the owner's plan", task: NOT_SHARED.task })]);
    expect(mine.tasksCreated).toEqual([
      expect.objectContaining({
        id: memberTask,
        title: NOT_SHARED.task,
        titleAsWritten: "Member wrote this title",
        description: null,
        project: NOT_SHARED.project,
      }),
    ]);
    const own = mine.timeEntries.find((e: { durationSeconds: number }) => e.durationSeconds === 1800);
    expect(own).toMatchObject({ project: NOT_SHARED.project, startedAt: expect.stringMatching(/^2026-01-05/) });
  });

  it("time logged for them in a project never shared: when and how long, not the project's name or the note", async () => {
    const data = await call(member.client, "query", "account.exportData", {});
    expect(JSON.stringify(data)).not.toContain("NEVERSHARED");
    const mine = data.organisations.find((o: { slug: string }) => o.slug === org);
    expect(mine.timeEntries.find((e: { durationSeconds: number }) => e.durationSeconds === 5400)).toMatchObject({
      project: NOT_SHARED.project,
      note: null,
      taskId: null,
      startedAt: expect.stringMatching(/^2026-01-06/),
      billable: true,
    });
  });

  it("shows current names again once the project is shared again, so the placeholder follows sharing and nothing else", async () => {
    await call(owner.client, "mutate", "sharing.add", { projectId: unshared, subject: { kind: "member", id: member.userId } });
    try {
      const data = await call(member.client, "query", "account.exportData", {});
      const mine = data.organisations.find((o: { slug: string }) => o.slug === org);
      expect(mine.tasksCreated[0]).toMatchObject({ title: "REWRITTEN-title", project: "RENAMED-after-unsharing" });
      expect(JSON.stringify(data)).not.toContain("NEVERSHARED");
    } finally {
      await call(owner.client, "mutate", "sharing.remove", { projectId: unshared, subject: { kind: "member", id: member.userId } });
    }
  });
});

describe("broad permissions declare what they reveal", () => {
  it("the catalogue lists invoice.read, invoice.create, audit.view, audit.export, org.export and privacy.subject_requests, each with its sentence", () => {
    expect(REVEALING_PERMISSIONS.map((r) => r.permission).sort()).toEqual([
      "audit.export",
      "audit.view",
      "invoice.create",
      "invoice.read",
      "org.export",
      "privacy.subject_requests",
    ]);
    expect(revealsOf("invoice.read")).toMatch(/not shared/);
    expect(revealsOf("audit.view")).toMatch(/rates/);
    expect(revealsOf("task.read")).toBeNull();
  });

  it("the roles page is given the sentence beside the permission's box", () => {
    const rows = permissionGroups().flatMap((g) => g.permissions);
    expect(rows.find((p) => p.key === "audit.view")?.reveals).toBe(revealsOf("audit.view"));
    expect(rows.find((p) => p.key === "project.read")?.reveals).toBeNull();
  });

  it("invoice.read without project.read.all: preview leaves the hidden time out, the issued document keeps its line (declared)", async () => {
    const narrow = await withRole(
      "All but project.read.all",
      ALL_PERMISSIONS.filter((p) => p !== "project.read.all"),
    );
    await call(owner.client, "mutate", "time.create", { projectId: neverShared, date: "2026-02-03", durationSeconds: 3600, note: "" });
    const range = { clientId: acme, from: "2026-02-01", to: "2026-02-28" };
    expect((await call(narrow.client, "query", "invoices.preview", range)).lines).toEqual([]);
    const invoice = await call(owner.client, "mutate", "invoices.create", range);
    const seen = await call(narrow.client, "query", "invoices.get", { id: invoice.id });
    // The declared decision: the document as sent to the client, every line.
    expect(revealsOf("invoice.read")).not.toBeNull();
    expect(JSON.stringify(seen.lines)).toContain("NEVERSHARED-Project");
    expect(seen.lines.reduce((n: number, l: { amount: number }) => n + l.amount, 0)).toBe(seen.subtotal);
  });

  it("audit.view without project.read.all or rates: the log's details show every project (declared)", async () => {
    const auditor = await withRole("Auditor", ["org.view", "audit.view"]);
    expect((await auditor.client.query("tasks.get", { org, id: ownerTask })).status).toBe(403);
    const log = await call(auditor.client, "query", "audit.list", { action: "task.create", limit: 100 });
    expect(revealsOf("audit.view")).not.toBeNull();
    expect(JSON.stringify(log)).toContain("Member wrote this title");
  });

  it("timelines are not the audit log: their details lose money for a reader without project.rates.view", () => {
    const detail = { project_id: "p_1", hourly_rate: 12000, amount: 500, title: "kept" };
    expect(detailForReader(detail, new Set(["task.read"]))).toEqual({ project_id: "p_1", title: "kept" });
    expect(detailForReader(detail, new Set(["project.rates.view"]))).toEqual(detail);
  });
});

describe("reports and the dashboard without project.rates.view", () => {
  const moneyless = ["org.view", "project.read", "project.read.all", "report.view", "report.export", "dashboard.view", "time.read.all"];
  let reader: Awaited<ReturnType<typeof withRole>>;
  beforeAll(async () => {
    reader = await withRole("Reports without rates", moneyless);
    // Unbilled, this month (the dashboard's period), so every figure below has money to hide. A whole
    // hour must fit into today before now (entries may not reach into the future): just after
    // midnight (UTC, the organisation's zone) there is none, so the instance's clock moves on to 03:00.
    const sinceMidnight = instance.clock.now() % 86_400_000;
    if (sinceMidnight < 3 * 3_600_000) instance.clock.advance(3 * 3_600_000 - sinceMidnight);
    const today = new Date(instance.clock.now()).toISOString().slice(0, 10);
    await call(owner.client, "mutate", "time.create", { projectId: unshared, date: today, durationSeconds: 3600, note: "" });
  });

  it("reports.unbilled gives hours and no amounts; the owner's answer has them", async () => {
    const full = await call(owner.client, "query", "reports.unbilled", {});
    expect(full.totals.amount).toBeGreaterThan(0);
    const r = await call(reader.client, "query", "reports.unbilled", {});
    expect(r.totals).toMatchObject({ seconds: full.totals.seconds, amount: null });
    expect(r.rows.length).toBe(full.rows.length);
    expect(r.rows.every((row: { amount: unknown }) => row.amount === null)).toBe(true);
  });

  it("reports.hours: no amount in rows or totals", async () => {
    const r = await call(reader.client, "query", "reports.hours", { from: "2026-01-01", to: "2026-12-31" });
    expect(r.rows.length).toBeGreaterThan(0);
    expect([r.totals, ...r.rows].every((row: { amount: unknown }) => row.amount === null)).toBe(true);
  });

  it("the CSV of hours and unbilled has no amount column for them, and has one for the owner", async () => {
    for (const input of [{ report: "unbilled" }, { report: "hours", from: "2026-01-01", to: "2026-12-31", groupBy: "project" }]) {
      const mine = await call(reader.client, "query", "reports.export", input);
      const theirs = await call(owner.client, "query", "reports.export", input);
      expect(mine.content.split("\n")[0]).not.toMatch(/amount|currency/);
      expect(theirs.content.split("\n")[0]).toMatch(/amount,currency/);
    }
  });

  it("dashboard.summary: hours yes, money null", async () => {
    const full = await call(owner.client, "query", "dashboard.summary", {});
    expect(full.unbilledAmount).toBeGreaterThan(0);
    const s = await call(reader.client, "query", "dashboard.summary", {});
    expect(s.secondsThisMonth).toBe(full.secondsThisMonth);
    expect(s).toMatchObject({ billableAmountThisMonth: null, unbilledAmount: null });
    expect(s.topProjects.length).toBeGreaterThan(0);
    expect(s.topProjects.every((p: { amount: unknown }) => p.amount === null)).toBe(true);
  });
});
