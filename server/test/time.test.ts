import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "./support/client";
import { addMember, userWithOrg, verifiedUser } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import { tenantRows } from "./support/tenant-files";

const HOUR = 3_600_000;
const MIN = 60_000;
const org = "time-org";
const LOCKED = "This entry is on an invoice and can no longer change.";

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
let member: { client: Client; id: string };
let manager: { client: Client; id: string };
let ownerId: string;
/** Shared with the member; rate 100.00/h. */
let shared: string;
/** Not shared with the member; no project rate. */
let hidden: string;

/** Direct access to the tenant file, for what the API deliberately cannot do (or is not ours to do). */
async function withTenant<T>(tenantId: string, fn: (db: Awaited<ReturnType<Instance["services"]["pool"]["acquire"]>>["db"]) => Promise<T>) {
  const lease = await instance.services.pool.acquire(tenantId);
  try {
    return await fn(lease.db);
  } finally {
    lease.release();
  }
}

const shareWith = (projectId: string, userId: string) =>
  withTenant(owner.tenantId, (db) =>
    db
      .insertInto("project_shares")
      .values({ project_id: projectId, subject_kind: "member", subject_id: userId, created_by: null, created_at: Date.now() })
      .execute(),
  );

async function person(role: string, name: string) {
  const user = await verifiedUser(instance, name);
  const row = await addMember(instance, owner.tenantId, user.email, role);
  return { client: user.client, id: row.id };
}

/** A finished entry through the API, at explicit instants. */
const entry = (client: Client, projectId: string, startedAt: number, endedAt: number, extra: Record<string, unknown> = {}) =>
  client.mutate("time.create", { org, projectId, startedAt, endedAt, ...extra });

const auditRows = (tenantId: string) =>
  tenantRows<{ action: string; target_id: string; detail: string }>(
    instance.dataDir,
    tenantId,
    "select action, target_id, detail from audit_log order by id",
  );

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, org);
  const client = await owner.client.mutate("clients.create", { org, name: "Acme" });
  shared = (await owner.client.mutate("projects.create", { org, clientId: client.data.id, name: "Shared", hourlyRate: 10_000 })).data.id;
  hidden = (await owner.client.mutate("projects.create", { org, clientId: client.data.id, name: "Hidden" })).data.id;
  ownerId = (
    await owner.client.mutate("time.create", {
      org,
      projectId: hidden,
      startedAt: Date.UTC(2023, 0, 2, 9),
      endedAt: Date.UTC(2023, 0, 2, 10),
    })
  ).data.member_id;
  member = await person("member", "Mia Member");
  manager = await person("manager", "Max Manager");
  await shareWith(shared, member.id);
});
afterAll(() => instance.stop());

describe("timer", () => {
  it("starts, survives as a row, refuses a second start, stops with the elapsed seconds, and stops harmlessly twice", async () => {
    const started = await member.client.mutate("time.start", { org, projectId: shared, note: "Design" });
    expect(started.status).toBe(200);
    expect(started.data).toMatchObject({ running: true, ended_at: null, duration_seconds: 0, note: "Design", member_id: member.id });

    // A reload is a new request: the timer is a row, so it is still there.
    const current = await member.client.query("time.current", { org });
    expect(current.data).toMatchObject({ id: started.data.id, project_name: "Shared", started_at: started.data.started_at });

    const second = await member.client.mutate("time.start", { org, projectId: shared });
    expect(second.status).toBe(409);
    expect(second.error?.message).toBe("A timer is already running.");

    instance.clock.advance(90 * MIN);
    const stopped = await member.client.mutate("time.stop", { org });
    expect(stopped.data).toMatchObject({
      id: started.data.id,
      running: false,
      duration_seconds: 5400,
      ended_at: started.data.started_at + 90 * MIN,
    });
    expect((await member.client.query("time.current", { org })).data).toBeNull();
    const again = await member.client.mutate("time.stop", { org });
    expect(again.status).toBe(200);
    expect(again.data).toBeNull();

    const actions = auditRows(owner.tenantId).filter((r) => r.target_id === started.data.id);
    expect(actions.map((r) => r.action)).toEqual(["time.start", "time.stop"]);
    expect(JSON.parse(actions[1]!.detail)).toMatchObject({ project_id: shared, duration_seconds: 5400 });
  });

  it("lets exactly one of two concurrent starts win", async () => {
    const results = await Promise.all([
      owner.client.mutate("time.start", { org, projectId: shared, note: "first" }),
      owner.client.mutate("time.start", { org, projectId: shared, note: "second" }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)?.error?.message).toBe("A timer is already running.");
    const running = tenantRows(
      instance.dataDir,
      owner.tenantId,
      `select id from time_entries where member_id = '${ownerId}' and ended_at is null`,
    );
    expect(running).toHaveLength(1);
    await owner.client.mutate("time.stop", { org });
  });

  it("is enforced by the file itself: the unique index refuses a second running row", async () => {
    await owner.client.mutate("time.start", { org, projectId: shared });
    const now = Date.now();
    await expect(
      withTenant(owner.tenantId, (db) =>
        db
          .insertInto("time_entries")
          .values({
            id: "e" + "z".repeat(24),
            member_id: ownerId,
            project_id: shared,
            task_id: null,
            started_at: 1,
            ended_at: null,
            duration_seconds: 0,
            note: "",
            billable: 1,
            hourly_rate: 0,
            invoice_id: null,
            created_at: now,
            updated_at: now,
          })
          .execute(),
      ),
    ).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT_UNIQUE" });
    await owner.client.mutate("time.stop", { org });
  });
});

describe("overlaps", () => {
  const day = Date.UTC(2024, 1, 5);

  it("refuses an entry that intersects another of the same member, and allows touching edges", async () => {
    expect((await entry(member.client, shared, day + 10 * HOUR, day + 11 * HOUR)).status).toBe(200);
    // [a, b) then [b, c): touching is fine, on either side.
    expect((await entry(member.client, shared, day + 11 * HOUR, day + 12 * HOUR)).status).toBe(200);
    expect((await entry(member.client, shared, day + 9 * HOUR, day + 10 * HOUR)).status).toBe(200);

    const before = auditRows(owner.tenantId).length;
    for (const [s, e] of [
      [10.5, 11.5],
      [9.5, 12.5],
      [10.25, 10.75],
      [11, 12],
    ] as const) {
      const res = await entry(member.client, shared, day + s * HOUR, day + e * HOUR);
      expect(res.status).toBe(409);
      expect(res.error?.message).toMatch(/^This overlaps another entry of the same person \(2024-02-05 \d\d:\d\d to \d\d:\d\d\)/);
    }
    expect(auditRows(owner.tenantId).length).toBe(before);
    // Another member's entries are no obstacle.
    expect((await entry(manager.client, shared, day + 10 * HOUR, day + 11 * HOUR)).status).toBe(200);
  });

  it("checks an edited entry against the others but not against itself", async () => {
    const a = await entry(member.client, shared, day + 20 * HOUR, day + 21 * HOUR);
    const moved = await member.client.mutate("time.update", {
      org,
      id: a.data.id,
      startedAt: day + 20.5 * HOUR,
      endedAt: day + 21.5 * HOUR,
    });
    expect(moved.status).toBe(200);
    const onto = await member.client.mutate("time.update", {
      org,
      id: a.data.id,
      startedAt: day + 11.5 * HOUR,
      endedAt: day + 12.5 * HOUR,
    });
    expect(onto.status).toBe(409);
  });

  it("counts a running timer as open-ended", async () => {
    // Clear of the timer stopped above.
    instance.clock.advance(2 * HOUR);
    const started = await member.client.mutate("time.start", { org, projectId: shared });
    const t = started.data.started_at as number;
    const into = await entry(member.client, shared, t - 30 * MIN, t + MIN);
    expect(into.status).toBe(409);
    expect(into.error?.message).toContain("a running timer");
    expect((await entry(member.client, shared, t - 30 * MIN, t)).status).toBe(200);
    await member.client.mutate("time.stop", { org });
  });

  it("places date-and-duration entries one after another in the member's day", async () => {
    const first = await member.client.mutate("time.create", { org, projectId: shared, date: "2024-02-06", durationSeconds: 7200 });
    const second = await member.client.mutate("time.create", { org, projectId: shared, date: "2024-02-06", durationSeconds: 1800 });
    expect(first.data).toMatchObject({ started_at: Date.UTC(2024, 1, 6), ended_at: Date.UTC(2024, 1, 6, 2), duration_seconds: 7200 });
    expect(second.data).toMatchObject({ started_at: Date.UTC(2024, 1, 6, 2), duration_seconds: 1800 });
  });

  it("refuses time in the future", async () => {
    const now = instance.clock.now();
    const res = await entry(member.client, shared, now + HOUR, now + 2 * HOUR);
    expect(res.status).toBe(400);
    expect(res.error?.message).toBe("Time can't be logged in the future.");
  });
});

describe("rates", () => {
  let rateProject: string;
  let bare: string;
  beforeAll(async () => {
    const client = await owner.client.mutate("clients.create", { org, name: "Rates Co" });
    rateProject = (await owner.client.mutate("projects.create", { org, clientId: client.data.id, name: "Priced", hourlyRate: 10_000 })).data
      .id;
    bare = (await owner.client.mutate("projects.create", { org, clientId: client.data.id, name: "Unpriced" })).data.id;
  });

  const resolve = async (projectId: string) => (await owner.client.query("rates.resolve", { org, memberId: manager.id, projectId })).data;

  it("resolves member-on-project > project > member default > 0", async () => {
    expect(await resolve(rateProject)).toEqual({ hourlyRate: 10_000, source: "project" });
    expect(await resolve(bare)).toEqual({ hourlyRate: 0, source: "none" });

    expect((await owner.client.mutate("rates.set", { org, memberId: manager.id, hourlyRate: 5_000 })).status).toBe(200);
    expect(await resolve(bare)).toEqual({ hourlyRate: 5_000, source: "member" });
    // The project's price beats the member's default.
    expect(await resolve(rateProject)).toEqual({ hourlyRate: 10_000, source: "project" });

    await owner.client.mutate("rates.set", { org, memberId: manager.id, projectId: rateProject, hourlyRate: 12_000 });
    expect(await resolve(rateProject)).toEqual({ hourlyRate: 12_000, source: "member-project" });
    await owner.client.mutate("rates.set", { org, memberId: manager.id, projectId: bare, hourlyRate: 7_000 });
    expect(await resolve(bare)).toEqual({ hourlyRate: 7_000, source: "member-project" });

    expect((await owner.client.mutate("rates.clear", { org, memberId: manager.id, projectId: rateProject })).data).toEqual({
      removed: true,
    });
    expect(await resolve(rateProject)).toEqual({ hourlyRate: 10_000, source: "project" });
    expect((await owner.client.mutate("rates.clear", { org, memberId: manager.id, projectId: rateProject })).data).toEqual({
      removed: false,
    });

    const listed = (await owner.client.query("rates.list", { org })).data;
    expect(listed.members.find((m: { user_id: string }) => m.user_id === manager.id)).toMatchObject({ default_rate: 5_000 });
    expect(listed.projectRates).toEqual([expect.objectContaining({ member_id: manager.id, project_id: bare, hourly_rate: 7_000 })]);
  });

  it("stores the resolved rate on the entry when it is written, and bills seconds × rate in minor units", async () => {
    await owner.client.mutate("rates.set", { org, memberId: manager.id, projectId: rateProject, hourlyRate: 12_000 });
    const start = Date.UTC(2024, 2, 1, 9);
    const made = await entry(manager.client, rateProject, start, start + 90 * MIN);
    expect(made.data).toMatchObject({ hourly_rate: 12_000, amount: 18_000, duration_seconds: 5400 });
    // A rate changed later does not reach back into written entries.
    await owner.client.mutate("rates.set", { org, memberId: manager.id, projectId: rateProject, hourlyRate: 20_000 });
    expect((await manager.client.query("time.get", { org, id: made.data.id })).data.hourly_rate).toBe(12_000);
    const nonBillable = await entry(manager.client, rateProject, start + 2 * HOUR, start + 3 * HOUR, { billable: false });
    expect(nonBillable.data).toMatchObject({ hourly_rate: 20_000, amount: 0 });
    const rates = auditRows(owner.tenantId).filter((r) => r.action === "rate.set");
    expect(JSON.parse(rates.at(-1)!.detail)).toMatchObject({
      member_id: manager.id,
      project_id: rateProject,
      hourly_rate: 20_000,
      previous_rate: 12_000,
    });
  });

  it("shows rates only to those allowed to see them, and lets only rate managers set them", async () => {
    const mine = await entry(member.client, shared, Date.UTC(2024, 2, 2, 9), Date.UTC(2024, 2, 2, 10));
    expect(mine.data).toMatchObject({ hourly_rate: null, amount: null });
    const list = await member.client.query("time.list", { org, from: "2024-03-02", to: "2024-03-02" });
    expect(list.data.totals).toMatchObject({ count: 1, seconds: 3600, amount: null });
    expect((await member.client.query("rates.list", { org })).status).toBe(403);
    const set = await member.client.mutate("rates.set", { org, memberId: member.id, hourlyRate: 1 });
    expect(set.status).toBe(403);
    expect(set.error?.message).toContain("time.rates.manage");
  });
});

describe("invoiced entries", () => {
  it("are locked: no update, no delete", async () => {
    const made = await entry(member.client, shared, Date.UTC(2024, 3, 1, 9), Date.UTC(2024, 3, 1, 10));
    await withTenant(owner.tenantId, (db) =>
      db
        .updateTable("time_entries")
        .set({ invoice_id: "i" + "a".repeat(24) })
        .where("id", "=", made.data.id)
        .execute(),
    );
    const before = auditRows(owner.tenantId).length;
    for (const res of [
      await member.client.mutate("time.update", { org, id: made.data.id, note: "late change" }),
      await member.client.mutate("time.delete", { org, id: made.data.id }),
      await owner.client.mutate("time.update", { org, id: made.data.id, billable: false }),
    ]) {
      expect(res.status).toBe(409);
      expect(res.error?.message).toBe(LOCKED);
    }
    expect(auditRows(owner.tenantId).length).toBe(before);
    expect((await member.client.query("time.get", { org, id: made.data.id })).data).toMatchObject({ locked: true, note: "" });
  });
});

describe("own time and everyone's", () => {
  let ownersEntry: string;
  let membersEntry: string;
  beforeAll(async () => {
    ownersEntry = (await entry(owner.client, shared, Date.UTC(2024, 4, 1, 9), Date.UTC(2024, 4, 1, 10))).data.id;
    membersEntry = (await entry(member.client, shared, Date.UTC(2024, 4, 1, 9), Date.UTC(2024, 4, 1, 10))).data.id;
  });

  it("lets a member change and delete their own entries", async () => {
    const own = await entry(member.client, shared, Date.UTC(2024, 4, 2, 9), Date.UTC(2024, 4, 2, 10));
    const edited = await member.client.mutate("time.update", { org, id: own.data.id, note: "Wireframes", billable: false });
    expect(edited.data).toMatchObject({ note: "Wireframes", billable: false, started_at: Date.UTC(2024, 4, 2, 9) });
    expect((await member.client.mutate("time.delete", { org, id: own.data.id })).status).toBe(200);
    const rows = auditRows(owner.tenantId).filter((r) => r.target_id === own.data.id);
    expect(rows.map((r) => r.action)).toEqual(["time.create", "time.update", "time.delete"]);
    for (const r of rows) expect(JSON.parse(r.detail)).toMatchObject({ project_id: shared, member_id: member.id });
  });

  it("refuses a member who edits, deletes or reads someone else's entry", async () => {
    const update = await member.client.mutate("time.update", { org, id: ownersEntry, note: "mine now" });
    expect(update.status).toBe(403);
    expect(update.error?.message).toContain("time.write.all");
    expect((await member.client.mutate("time.delete", { org, id: ownersEntry })).status).toBe(403);
    expect((await member.client.query("time.get", { org, id: ownersEntry })).status).toBe(403);
    expect((await member.client.query("time.list", { org, memberId: ownerId })).status).toBe(403);
    expect((await member.client.query("time.listAll", { org })).status).toBe(403);
    expect(
      (
        await member.client.mutate("time.createFor", {
          org,
          memberId: ownerId,
          projectId: shared,
          date: "2024-05-03",
          durationSeconds: 600,
        })
      ).status,
    ).toBe(403);
  });

  it("lets a manager read, edit, fill in and delete a member's entries", async () => {
    const all = await manager.client.query("time.listAll", { org, from: "2024-05-01", to: "2024-05-01" });
    expect(all.data.entries.map((e: { id: string }) => e.id).sort()).toEqual([ownersEntry, membersEntry].sort());
    const one = await manager.client.query("time.list", { org, memberId: member.id, from: "2024-05-01", to: "2024-05-01" });
    expect(one.data.entries.map((e: { member_name: string }) => e.member_name)).toEqual(["Mia Member"]);

    const edited = await manager.client.mutate("time.update", { org, id: membersEntry, note: "Fixed by manager" });
    expect(edited.data).toMatchObject({ note: "Fixed by manager", member_id: member.id });
    const filled = await manager.client.mutate("time.createFor", {
      org,
      memberId: member.id,
      projectId: shared,
      date: "2024-05-04",
      durationSeconds: 600,
    });
    expect(filled.data).toMatchObject({ member_id: member.id, duration_seconds: 600 });
    expect((await manager.client.mutate("time.delete", { org, id: filled.data.id })).status).toBe(200);
    const stranger = await manager.client.mutate("time.createFor", {
      org,
      memberId: "u" + "a".repeat(24),
      projectId: shared,
      date: "2024-05-04",
      durationSeconds: 600,
    });
    expect(stranger.status).toBe(404);
  });
});

describe("project visibility", () => {
  it("refuses time on a project not shared with the member, as if it did not exist", async () => {
    const before = auditRows(owner.tenantId).length;
    const start = await member.client.mutate("time.start", { org, projectId: hidden });
    expect(start.status).toBe(404);
    expect(start.error?.code).toBe("NOT_FOUND");
    const manual = await entry(member.client, hidden, Date.UTC(2024, 5, 1, 9), Date.UTC(2024, 5, 1, 10));
    expect(manual.status).toBe(404);
    expect(auditRows(owner.tenantId).length).toBe(before);
    expect((await member.client.query("time.projects", { org })).data.map((p: { id: string }) => p.id)).toEqual([shared]);
  });

  it("drops entries of a project from lists and totals once it is no longer shared", async () => {
    const later = (
      await owner.client.mutate("projects.create", {
        org,
        clientId: (await owner.client.query("projects.get", { org, id: shared })).data.client_id,
        name: "Briefly shared",
      })
    ).data.id;
    await shareWith(later, member.id);
    const made = await entry(member.client, later, Date.UTC(2024, 5, 2, 9), Date.UTC(2024, 5, 2, 11));
    expect(made.status).toBe(200);
    const range = { org, from: "2024-06-02", to: "2024-06-02" };
    expect((await member.client.query("time.list", range)).data.totals.seconds).toBe(7200);

    await withTenant(owner.tenantId, (db) => db.deleteFrom("project_shares").where("project_id", "=", later).execute());
    const after = (await member.client.query("time.list", range)).data;
    expect(after.entries).toEqual([]);
    expect(after.totals).toMatchObject({ count: 0, seconds: 0 });
    expect((await member.client.query("time.get", { org, id: made.data.id })).status).toBe(404);
    expect((await member.client.mutate("time.delete", { org, id: made.data.id })).status).toBe(404);
  });
});

describe("tasks", () => {
  it("takes a task of the entry's project, and refuses one from another project", async () => {
    const task = await owner.client.mutate("tasks.create", { org, projectId: shared, title: "Homepage" });
    const elsewhere = await owner.client.mutate("tasks.create", { org, projectId: hidden, title: "Elsewhere" });
    expect([task.status, elsewhere.status]).toEqual([200, 200]);
    const ok = await entry(owner.client, shared, Date.UTC(2024, 6, 1, 9), Date.UTC(2024, 6, 1, 10), { taskId: task.data.id });
    expect(ok.data).toMatchObject({ task_id: task.data.id });
    const wrong = await entry(owner.client, shared, Date.UTC(2024, 6, 1, 10), Date.UTC(2024, 6, 1, 11), { taskId: elsewhere.data.id });
    expect(wrong.status).toBe(400);
    expect(wrong.error?.message).toBe("That task is not in this project.");
    // Moving the entry to another project takes its task along only if the task belongs there.
    const moved = await owner.client.mutate("time.update", { org, id: ok.data.id, projectId: hidden });
    expect(moved.status).toBe(400);
    const both = await owner.client.mutate("time.update", { org, id: ok.data.id, projectId: hidden, taskId: elsewhere.data.id });
    expect(both.data).toMatchObject({ project_id: hidden, task_id: elsewhere.data.id });
    const timer = await owner.client.mutate("time.start", { org, projectId: shared, taskId: elsewhere.data.id });
    expect(timer.status).toBe(400);
  });
});

describe("time-zone day boundaries", () => {
  async function orgIn(slug: string, timeZone: string) {
    const o = await userWithOrg(instance, slug);
    await o.client.mutate("settings.update", { org: slug, timeZone });
    const c = await o.client.mutate("clients.create", { org: slug, name: "Zone Co" });
    const p = await o.client.mutate("projects.create", { org: slug, clientId: c.data.id, name: "Zone project" });
    return { client: o.client, projectId: p.data.id as string };
  }
  const ids = (res: { data: { entries: { id: string }[] } }) => res.data.entries.map((e) => e.id);

  it("puts 23:30 in Los Angeles on that local day, not on the UTC day", async () => {
    const la = await orgIn("time-la", "America/Los_Angeles");
    const slug = "time-la";
    // 2024-03-10 is the day DST starts there: 23:30 PDT is 06:30 UTC on the 11th.
    const local = await la.client.mutate("time.create", {
      org: slug,
      projectId: la.projectId,
      date: "2024-03-10",
      start: "23:30",
      end: "23:50",
    });
    expect(local.data).toMatchObject({
      started_at: Date.parse("2024-03-11T06:30:00Z"),
      ended_at: Date.parse("2024-03-11T06:50:00Z"),
      date: "2024-03-10",
      start_time: "23:30",
      end_time: "23:50",
    });

    const onTenth = await la.client.query("time.list", { org: slug, from: "2024-03-10", to: "2024-03-10" });
    const onEleventh = await la.client.query("time.list", { org: slug, from: "2024-03-11", to: "2024-03-11" });
    expect(ids(onTenth)).toEqual([local.data.id]);
    expect(ids(onEleventh)).toEqual([]);
    expect(onTenth.data.timeZone).toBe("America/Los_Angeles");

    // A date-and-duration entry starts at local midnight (08:00 UTC), and the 23-hour day is respected.
    const duration = await la.client.mutate("time.create", {
      org: slug,
      projectId: la.projectId,
      date: "2024-03-10",
      durationSeconds: 3600,
    });
    expect(duration.data.started_at).toBe(Date.parse("2024-03-10T08:00:00Z"));
    // Crossing midnight: 22:00 to 01:00 ends the next local morning.
    const night = await la.client.mutate("time.create", {
      org: slug,
      projectId: la.projectId,
      date: "2024-03-08",
      start: "22:00",
      end: "01:00",
    });
    expect(night.data).toMatchObject({ duration_seconds: 3 * 3600, date: "2024-03-08", end_time: "01:00" });
  });

  it("puts 00:30 in Auckland on that local day, though it is the previous UTC day", async () => {
    const nz = await orgIn("time-nz", "Pacific/Auckland");
    const slug = "time-nz";
    const early = await nz.client.mutate("time.create", {
      org: slug,
      projectId: nz.projectId,
      startedAt: Date.parse("2024-03-09T11:30:00Z"),
      endedAt: Date.parse("2024-03-09T12:00:00Z"),
    });
    expect(early.data).toMatchObject({ date: "2024-03-10", start_time: "00:30" });
    expect(ids(await nz.client.query("time.list", { org: slug, from: "2024-03-10", to: "2024-03-10" }))).toEqual([early.data.id]);
    expect(ids(await nz.client.query("time.list", { org: slug, from: "2024-03-09", to: "2024-03-09" }))).toEqual([]);
  });
});
