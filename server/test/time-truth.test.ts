import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importOrgExport } from "../export/import-export";
import { writeOrgExport } from "../export/write-export";
import { addMember, userWithOrg, verifiedUser } from "./support/accounts";
import type { Client } from "./support/client";
import { startInstance, type Instance } from "./support/instance";
import { tenantRows } from "./support/tenant-files";
import { editFormOf, postTimeForm } from "./support/time-page";

/** Issue 26, item 2 and the time half of items 4–5, reproduced with the figures. */

const org = "time-truth";
const HOUR = 3_600_000;
const EUR_100 = 10_000;
let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
let ownerId: string;
let clientId: string;
let work: string;

async function project(name: string, hourlyRate = EUR_100) {
  const made = await owner.client.mutate("projects.create", { org, clientId, name, hourlyRate });
  expect(made.status).toBe(200);
  return made.data.id as string;
}

const inZone = async (timeZone: string) => expect((await owner.client.mutate("settings.update", { org, timeZone })).status).toBe(200);
const create = (projectId: string, when: Record<string, unknown>, client: Client = owner.client) =>
  client.mutate("time.create", { org, projectId, ...when });
const rows = (where = "1 = 1") =>
  tenantRows<Record<string, unknown>>(instance.dataDir, owner.tenantId, `select * from time_entries where ${where} order by id`);
const notPositive = () => rows("ended_at is not null and (ended_at <= started_at or duration_seconds <= 0) and problem is null");
const audits = (action: string) =>
  tenantRows<{ target_id: string; detail: string }>(
    instance.dataDir,
    owner.tenantId,
    `select target_id, detail from audit_log where action = '${action}' order by id`,
  );

async function withTenant<T>(fn: (db: Awaited<ReturnType<Instance["services"]["pool"]["acquire"]>>["db"]) => Promise<T>) {
  const lease = await instance.services.pool.acquire(owner.tenantId);
  try {
    return await fn(lease.db);
  } finally {
    lease.release();
  }
}

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, org);
  clientId = (await owner.client.mutate("clients.create", { org, name: "Acme" })).data.id;
  ownerId = (await owner.client.query("members.me", { org })).data.userId;
  work = mkdtempSync(join(tmpdir(), "time-truth-"));
});
afterAll(async () => {
  await instance?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("a local time the clocks skip", () => {
  let site: string;
  beforeAll(async () => {
    site = await project("Gap site");
  });

  it("Berlin 2025-03-30 02:30–03:00 is refused with a sentence naming the missing hour, and nothing is stored", async () => {
    await inZone("Europe/Berlin");
    const before = rows().length;
    const res = await create(site, { date: "2025-03-30", start: "02:30", end: "03:00" });
    expect(res.status).toBe(400);
    expect(res.error?.fieldErrors).toEqual({
      start: [
        "02:30 does not exist on 2025-03-30 in Europe/Berlin: the clocks jump from 02:00 straight to 03:00 that night (02:00–02:59 is skipped). Use a time before 02:00 or from 03:00 on.",
      ],
    });
    // Before: −1,800 s and −€50.00.
    expect(rows().length).toBe(before);
    expect(notPositive()).toEqual([]);
  });

  it("Berlin 02:59–03:00 (once −3,540 s) is refused too, through the API and through the web form", async () => {
    const res = await create(site, { date: "2025-03-30", start: "02:59", end: "03:00" });
    expect(res.status).toBe(400);
    expect(res.error?.fieldErrors?.start?.[0]).toMatch(
      /^02:59 does not exist on 2025-03-30 in Europe\/Berlin: .*\(02:00–02:59 is skipped\)/,
    );
    const form = await postTimeForm(instance, owner.client, org, {
      intent: "create",
      projectId: site,
      date: "2025-03-30",
      start: "02:59",
      end: "03:00",
      duration: "",
      note: "",
      billable: "on",
    });
    expect(form?.fieldErrors.start?.[0]).toContain("02:00–02:59 is skipped");
    // An end inside the gap is named on the end field.
    const end = await create(site, { date: "2025-03-30", start: "01:30", end: "02:30" });
    expect(end.error?.fieldErrors?.end?.[0]).toContain("02:30 does not exist on 2025-03-30");
    expect(notPositive()).toEqual([]);
  });

  it.each([
    [
      "America/New_York",
      "2025-03-09",
      "02:30",
      "03:00",
      "the clocks jump from 02:00 straight to 03:00 that night (02:00–02:59 is skipped)",
    ],
    [
      "Australia/Lord_Howe",
      "2025-10-05",
      "02:15",
      "02:45",
      "the clocks jump from 02:00 straight to 02:30 that night (02:00–02:29 is skipped)",
    ],
    [
      "America/Santiago",
      "2025-09-07",
      "00:30",
      "01:30",
      "the clocks jump from 00:00 straight to 01:00 that night (00:00–00:59 is skipped)",
    ],
  ])("%s %s %s–%s is refused naming the missing time", async (zone, date, start, end, sentence) => {
    await inZone(zone);
    const res = await create(site, { date, start, end });
    expect(res.status).toBe(400);
    expect(res.error?.fieldErrors?.start?.[0]).toContain(`${start} does not exist on ${date} in ${zone}: ${sentence}`);
    // The minutes right after the gap are real, and a half-hour there is a half-hour.
    const after = await create(site, { date, start: end, end: end === "01:30" ? "02:00" : end === "03:00" ? "03:30" : "03:15" });
    expect(after.status).toBe(200);
    expect(after.data.duration_seconds).toBeGreaterThan(0);
    expect(notPositive()).toEqual([]);
  });
});

describe("a local time the clocks pass twice", () => {
  let site: string;
  beforeAll(async () => {
    site = await project("Repeat site");
    await inZone("Europe/Berlin");
  });

  it("asks which 02:00 is meant on 2025-10-26 in Berlin, naming both offsets", async () => {
    const res = await create(site, { date: "2025-10-26", start: "02:00", end: "03:00" });
    expect(res.status).toBe(400);
    expect(res.error?.fieldErrors).toEqual({
      startOccurrence: [
        "02:00 happens twice on 2025-10-26 in Europe/Berlin (the clocks go back): first at UTC+02:00, then again at UTC+01:00. Say which one you mean.",
      ],
    });
  });

  it("the second 02:00 to 03:00 is 1 h / €100; the first is 2 h / €200; 02:30 (first) to 02:15 (second) is 45 minutes", async () => {
    const second = await create(site, { date: "2025-10-26", start: "02:00", end: "03:00", startOccurrence: "second" });
    expect(second.data).toMatchObject({ duration_seconds: 3600, amount: EUR_100, started_at: Date.UTC(2025, 9, 26, 1) });
    expect((await owner.client.mutate("time.delete", { org, id: second.data.id })).status).toBe(200);
    const first = await create(site, { date: "2025-10-26", start: "02:00", end: "03:00", startOccurrence: "first" });
    expect(first.data).toMatchObject({ duration_seconds: 7200, amount: 2 * EUR_100, started_at: Date.UTC(2025, 9, 26, 0) });
    expect((await owner.client.mutate("time.delete", { org, id: first.data.id })).status).toBe(200);
    const across = await create(site, {
      date: "2025-10-26",
      start: "02:30",
      end: "02:15",
      startOccurrence: "first",
      endOccurrence: "second",
    });
    expect(across.data).toMatchObject({ duration_seconds: 2700, amount: 7500 });
    expect((await owner.client.mutate("time.delete", { org, id: across.data.id })).status).toBe(200);
  });

  it("the web form shows the choice only once asked, and stores the one chosen", async () => {
    const fields = {
      intent: "create",
      projectId: site,
      date: "2025-10-26",
      start: "02:00",
      end: "03:00",
      duration: "",
      note: "",
      billable: "on",
    };
    const asked = await postTimeForm(instance, owner.client, org, fields);
    expect(asked?.fieldErrors.startOccurrence?.[0]).toContain("happens twice");
    expect(await postTimeForm(instance, owner.client, org, { ...fields, startOccurrence: "second" })).toBeNull();
    const [stored] = rows(`project_id = '${site}'`);
    expect(stored).toMatchObject({ started_at: Date.UTC(2025, 9, 26, 1), ended_at: Date.UTC(2025, 9, 26, 2), duration_seconds: 3600 });
    await owner.client.mutate("time.delete", { org, id: stored!.id });
  });
});

describe("an edit changes only what was changed, and never the rate", () => {
  let site: string;
  beforeAll(async () => {
    site = await project("Edit site");
    await inZone("Europe/Berlin");
  });

  it("a note-only edit in the web form keeps 4,475 s (not 4,500 s) and the rate it was logged at", async () => {
    const start = Date.UTC(2025, 4, 5, 7);
    const made = await create(site, { startedAt: start, endedAt: start + 4_475_000, note: "Draft" });
    expect(made.data).toMatchObject({
      duration_seconds: 4475,
      hourly_rate: EUR_100,
      amount: 12_431,
      start_time: "09:00",
      end_time: "10:14",
    });
    // The rate changes after the entry was logged; the Rates page promises logged time keeps its rate.
    expect((await owner.client.mutate("rates.set", { org, memberId: ownerId, projectId: site, hourlyRate: 20_000 })).status).toBe(200);
    expect(await postTimeForm(instance, owner.client, org, { ...editFormOf(made.data), note: "Final" })).toBeNull();
    const after = (await owner.client.query("time.get", { org, id: made.data.id })).data;
    expect(after).toMatchObject({ note: "Final", duration_seconds: 4475, started_at: start, hourly_rate: EUR_100, amount: 12_431 });
    expect(JSON.parse(audits("time.update").at(-1)!.detail)).toMatchObject({ fields: ["note"] });
    await owner.client.mutate("rates.clear", { org, memberId: ownerId, projectId: site });
  });

  it("an untouched entry in the repeated autumn hour stays 1 h / €100 after a note edit (once 2 h / €200)", async () => {
    const made = await create(site, { startedAt: Date.UTC(2025, 9, 26, 1), endedAt: Date.UTC(2025, 9, 26, 2) });
    expect(made.data).toMatchObject({ start_time: "02:00", end_time: "03:00", duration_seconds: 3600, amount: EUR_100 });
    expect(await postTimeForm(instance, owner.client, org, { ...editFormOf(made.data), note: "Night deploy" })).toBeNull();
    const after = (await owner.client.query("time.get", { org, id: made.data.id })).data;
    expect(after).toMatchObject({ note: "Night deploy", duration_seconds: 3600, amount: EUR_100, started_at: Date.UTC(2025, 9, 26, 1) });
    // Re-reading the displayed 02:00 is what once made it 2 h: now it is a question, not a guess.
    const reread = await owner.client.mutate("time.update", { org, id: made.data.id, date: "2025-10-26", start: "02:00", end: "03:00" });
    expect(reread.status).toBe(400);
    expect(reread.error?.fieldErrors?.startOccurrence?.[0]).toContain("happens twice");
    expect((await owner.client.query("time.get", { org, id: made.data.id })).data.duration_seconds).toBe(3600);
  });

  it("no API edit re-prices: billable, project, note and times keep the logged rate; an edit that changes nothing writes nothing", async () => {
    const start = Date.UTC(2025, 4, 6, 7);
    const made = await create(site, { startedAt: start, endedAt: start + HOUR });
    const other = await project("Other site", 30_000);
    await owner.client.mutate("rates.set", { org, memberId: ownerId, projectId: site, hourlyRate: 20_000 });
    for (const change of [
      { billable: false },
      { billable: true },
      { note: "moved" },
      { projectId: other },
      { startedAt: start, endedAt: start + 2 * HOUR },
    ]) {
      const res = await owner.client.mutate("time.update", { org, id: made.data.id, ...change });
      expect(res.status).toBe(200);
      expect(res.data.hourly_rate).toBe(EUR_100);
    }
    const updates = audits("time.update").length;
    const same = await owner.client.mutate("time.update", {
      org,
      id: made.data.id,
      note: "moved",
      startedAt: start,
      endedAt: start + 2 * HOUR,
    });
    expect(same.data).toMatchObject({ duration_seconds: 7200, amount: 2 * EUR_100, updated_at: expect.any(Number) });
    expect(audits("time.update").length).toBe(updates);
    await owner.client.mutate("rates.clear", { org, memberId: ownerId, projectId: site });
  });
});

describe("the file itself refuses time that is not positive", () => {
  let site: string;
  beforeAll(async () => {
    site = await project("Trigger site");
  });
  const row = (id: string, startedAt: number, endedAt: number | null, duration: number) => ({
    id,
    member_id: ownerId,
    project_id: site,
    task_id: null,
    started_at: startedAt,
    ended_at: endedAt,
    duration_seconds: duration,
    note: "",
    billable: 1,
    hourly_rate: EUR_100,
    invoice_id: null,
    created_at: 1,
    updated_at: 1,
  });

  it("refuses ended_at <= started_at and zero or negative durations on insert and update, whoever writes", async () => {
    const t = Date.UTC(2025, 2, 30, 1, 30);
    for (const bad of [row("e-neg", t, t - 1_800_000, -1800), row("e-equal", t, t, 0), row("e-zero", t, t + 400, 0)]) {
      await expect(withTenant((db) => db.insertInto("time_entries").values(bad).execute())).rejects.toThrow(
        "time entry must end at least a second after it starts",
      );
    }
    await withTenant((db) =>
      db
        .insertInto("time_entries")
        .values(row("e-good", t, t + HOUR, 3600))
        .execute(),
    );
    await expect(
      withTenant((db) => db.updateTable("time_entries").set({ ended_at: t, duration_seconds: 0 }).where("id", "=", "e-good").execute()),
    ).rejects.toThrow("time entry must end at least a second after it starts");
    // A running timer has no end yet and 0 seconds: allowed.
    await withTenant((db) => db.deleteFrom("time_entries").where("id", "=", "e-good").execute());
  });

  it("the API refuses instants less than a second apart, and a timer stopped within its first second keeps nothing", async () => {
    const t = Date.UTC(2025, 4, 7, 7);
    const res = await create(site, { startedAt: t, endedAt: t + 400 });
    expect(res.status).toBe(400);
    expect(res.error?.message).toBe("An entry must last at least one second.");
    const started = await owner.client.mutate("time.start", { org, projectId: site });
    expect(started.status).toBe(200);
    instance.clock.advance(300);
    expect((await owner.client.mutate("time.stop", { org })).data).toBeNull();
    expect(rows(`id = '${started.data.id}'`)).toEqual([]);
    expect(JSON.parse(audits("time.stop").at(-1)!.detail)).toMatchObject({ discarded: true, duration_seconds: 0 });
  });
});

describe("dates inside the configured years (default 2000–2100)", () => {
  let site: string;
  beforeAll(async () => {
    site = await project("Years site");
    await inZone("Europe/Berlin");
  });

  it('refuses "0025-06-01" (once stored as 1925-06-01) and 1969-12-31, naming the range', async () => {
    for (const date of ["0025-06-01", "1969-12-31", "1999-12-31", "2101-01-01"]) {
      const res = await create(site, { date, durationSeconds: 3600 });
      expect(res.status, date).toBe(400);
      expect(res.error?.fieldErrors).toEqual({ date: ["Use a date from 2000-01-01 to 2100-12-31."] });
    }
    expect(rows(`project_id = '${site}'`)).toEqual([]);
    expect((await create(site, { date: "2000-01-01", durationSeconds: 3600 })).status).toBe(200);
    expect((await owner.client.query("time.list", { org, from: "0025-06-01", to: "0025-06-07" })).status).toBe(400);
  });

  it("a report for years 0001–0099 no longer slips past the 3-year cap: it is refused", async () => {
    const res = await owner.client.query("reports.hours", { org, from: "0001-01-01", to: "0099-12-31", groupBy: "project" });
    expect(res.status).toBe(400);
    expect(res.error?.fieldErrors).toEqual({ to: ["A report covers at most 3 years; choose a shorter range."] });
    const early = await owner.client.query("reports.hours", { org, from: "0001-01-01", to: "0002-12-31", groupBy: "project" });
    expect(early.error?.fieldErrors).toEqual({ from: ["Use a date from 2000-01-01 to 2100-12-31."] });
    expect((await owner.client.query("reports.hours", { org, from: "2000-01-01", to: "2002-12-31", groupBy: "project" })).status).toBe(200);
    expect((await owner.client.query("reports.unbilled", { org, from: "2099-01-01", to: "2101-01-02" })).status).toBe(400);
  });
});

const NEGATIVE = `e${"n".repeat(24)}`;
const EPOCH = `e${"p".repeat(24)}`;

describe("entries already wrong: flagged, listed, fixable, and the export carries them", () => {
  let site: string;
  const negative = { start: Date.UTC(2025, 2, 30, 1, 30), end: Date.UTC(2025, 2, 30, 1, 0) };
  beforeAll(async () => {
    site = await project("Legacy site");
    await inZone("Europe/Berlin");
    // As migration 0017 leaves them: the −1,800 s entry flagged; 1969-12-31 is a valid instant, outside the years.
    await withTenant(async (db) => {
      await db
        .insertInto("time_entries")
        .values([
          {
            id: NEGATIVE,
            member_id: ownerId,
            project_id: site,
            task_id: null,
            started_at: negative.start,
            ended_at: negative.end,
            duration_seconds: -1800,
            note: "DST gap",
            billable: 1,
            hourly_rate: EUR_100,
            invoice_id: null,
            created_at: 1,
            updated_at: 1,
            problem: "ends_before_start",
          },
          {
            id: EPOCH,
            member_id: ownerId,
            project_id: site,
            task_id: null,
            started_at: Date.UTC(1969, 11, 31, 9),
            ended_at: Date.UTC(1969, 11, 31, 10),
            duration_seconds: 3600,
            note: "Epoch",
            billable: 1,
            hourly_rate: EUR_100,
            invoice_id: null,
            created_at: 1,
            updated_at: 1,
          },
        ])
        .execute();
    });
  });

  it("lists both for the organisation to fix, with what is wrong", async () => {
    const listed = (await owner.client.query("time.problems", { org })).data;
    expect(listed.entries.map((e: { id: string; problem: string; date: string }) => [e.id, e.problem, e.date])).toEqual([
      [EPOCH, "outside_years", "1969-12-31"],
      [NEGATIVE, "ends_before_start", "2025-03-30"],
    ]);
  });

  it("exports them without failing (once: duration_seconds: Too small) and the archive re-imports row for row", async () => {
    const out = join(work, "org.zip");
    await writeOrgExport(instance.services, owner.tenantId, out);
    const copy = await importOrgExport(instance.services, out, { slug: "time-truth-copy" });
    const columns = "id, member_id, project_id, started_at, ended_at, duration_seconds, note, billable, hourly_rate, invoice_id, problem";
    const read = (tenantId: string) => tenantRows(instance.dataDir, tenantId, `select ${columns} from time_entries order by id`);
    expect(read(copy.tenantId)).toEqual(read(owner.tenantId));
    expect(read(copy.tenantId).filter((r) => r.id === NEGATIVE)).toEqual([
      expect.objectContaining({ duration_seconds: -1800, problem: "ends_before_start" }),
    ]);
  });

  it("a note edit keeps a flagged entry flagged; fixing its times clears the flag", async () => {
    const noted = await owner.client.mutate("time.update", { org, id: NEGATIVE, note: "DST gap, to fix" });
    expect(noted.error ?? null).toBeNull();
    expect(noted.data).toMatchObject({ problem: "ends_before_start", duration_seconds: -1800 });
    const fixed = await owner.client.mutate("time.update", {
      org,
      id: NEGATIVE,
      date: "2025-03-30",
      start: "01:30",
      end: "03:00",
    });
    expect(fixed.data).toMatchObject({ problem: null, duration_seconds: 1800, amount: 5000 });
    const listed = (await owner.client.query("time.problems", { org })).data;
    expect(listed.entries.map((e: { id: string }) => e.id)).toEqual([EPOCH]);
  });
});

describe("re-pricing unbilled time is an explicit action with a preview", () => {
  let site: string;
  let entryId: string;
  beforeAll(async () => {
    site = await project("Reprice site");
    const start = Date.UTC(2025, 5, 2, 7);
    entryId = (await create(site, { startedAt: start, endedAt: start + 90 * 60_000 })).data.id;
    await owner.client.mutate("rates.set", { org, memberId: ownerId, projectId: site, hourlyRate: 12_000 });
  });

  it("previews old and new rate and amount, applies exactly that with the preview's token, and audits it", async () => {
    const preview = await owner.client.query("time.repricePreview", { org, projectId: site });
    expect(preview.status).toBe(200);
    expect(preview.data).toMatchObject({ count: 1, amount: 15_000, newAmount: 18_000 });
    expect(preview.data.entries).toEqual([
      expect.objectContaining({
        id: entryId,
        hourly_rate: EUR_100,
        new_rate: 12_000,
        amount: 15_000,
        new_amount: 18_000,
        duration_seconds: 5400,
      }),
    ]);
    // Nothing changed by looking.
    expect((await owner.client.query("time.get", { org, id: entryId })).data.hourly_rate).toBe(EUR_100);
    const stale = await owner.client.mutate("time.reprice", { org, projectId: site, token: "0".repeat(64) });
    expect(stale.status).toBe(409);
    const applied = await owner.client.mutate("time.reprice", { org, projectId: site, token: preview.data.token });
    expect(applied.data).toEqual({ count: 1, amount: 15_000, newAmount: 18_000 });
    expect((await owner.client.query("time.get", { org, id: entryId })).data).toMatchObject({ hourly_rate: 12_000, amount: 18_000 });
    expect(JSON.parse(audits("time.reprice").at(-1)!.detail)).toMatchObject({
      count: 1,
      previous_amount: 15_000,
      amount: 18_000,
      entries: [{ id: entryId, previous_rate: EUR_100, hourly_rate: 12_000 }],
    });
    // The same token again: the entries it described have changed.
    expect((await owner.client.mutate("time.reprice", { org, projectId: site, token: preview.data.token })).status).toBe(409);
  });

  it("needs time.reprice, which a member lacks and a manager holds", async () => {
    const member = await verifiedUser(instance, "Mia Member");
    await addMember(instance, owner.tenantId, member.email, "member");
    const res = await member.client.query("time.repricePreview", { org });
    expect(res.status).toBe(403);
    expect(res.error?.message).toContain("time.reprice");
    const manager = await verifiedUser(instance, "Max Manager");
    await addMember(instance, owner.tenantId, manager.email, "manager");
    expect((await manager.client.query("time.repricePreview", { org })).status).toBe(200);
  });
});
