import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importOrgExport } from "../export/import-export";
import { writeOrgExport } from "../export/write-export";
import { userWithOrg } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import { tenantRows } from "./support/tenant-files";
import { editFormOf, postTimeForm } from "./support/time-page";

/**
 * Issue 26's properties for time: in zones with DST gaps and repeated hours (and Kathmandu's +05:45),
 * no path — manual entries as local times, durations or instants, edits in the API and in the web
 * form, the timer — ever stores a finished entry of zero or negative seconds; and the organisation
 * export, holding flagged and out-of-range rows too, re-imports row for row.
 */

const ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Kathmandu"] as const;
/** Days when the zones' clocks change in 2025 (and their neighbours), where wall times go missing or repeat. */
const CHANGE_DAYS = [
  "2025-03-30",
  "2025-10-26",
  "2025-03-09",
  "2025-11-02",
  "2025-04-06",
  "2025-10-05",
  "2025-04-05",
  "2025-09-06",
  "2025-09-07",
  "2025-03-29",
];
const HOUR = 3_600_000;
const SEED = Number(process.env.FC_SEED ?? 2026);

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
let projectId: string;
let ownerId: string;
let work: string;
const org = "time-props";

const pad = (n: number) => String(n).padStart(2, "0");
const date = fc.oneof(
  fc.constantFrom(...CHANGE_DAYS),
  fc
    .date({ min: new Date(Date.UTC(2024, 0, 1)), max: new Date(Date.UTC(2026, 0, 1)), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10)),
);
const clock = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.oneof(fc.constantFrom(0, 15, 29, 30, 45, 59), fc.integer({ min: 0, max: 59 })))
  .map(([h, m]) => `${pad(h)}:${pad(m)}`);
const occurrence = fc.option(fc.constantFrom("first", "second"), { nil: undefined });
/** Around the 2025 changes: an instant, and an end anywhere from before it to a day after. */
const instant = fc.integer({ min: Date.UTC(2025, 2, 1), max: Date.UTC(2025, 10, 30) });

const when = fc.oneof(
  fc.record({ date, start: clock, end: clock, startOccurrence: occurrence, endOccurrence: occurrence }),
  fc.record({ date, durationSeconds: fc.integer({ min: 1, max: 86_400 }) }),
  fc.tuple(instant, fc.integer({ min: -2 * HOUR, max: 25 * HOUR })).map(([s, d]) => ({ startedAt: s, endedAt: s + d })),
);
const step = fc.oneof(
  fc.record({ kind: fc.constant("create" as const), when }),
  fc.record({ kind: fc.constant("update" as const), pick: fc.nat(), when }),
  fc.record({ kind: fc.constant("form-edit" as const), pick: fc.nat(), note: fc.string({ maxLength: 20 }) }),
  fc.record({
    kind: fc.constant("timer" as const),
    ms: fc.oneof(fc.integer({ min: 0, max: 1500 }), fc.integer({ min: 0, max: 3 * HOUR })),
  }),
);

const stored = () =>
  tenantRows<{ id: string; started_at: number; ended_at: number | null; duration_seconds: number; problem: string | null }>(
    instance.dataDir,
    owner.tenantId,
    "select id, started_at, ended_at, duration_seconds, problem from time_entries order by id",
  );
const notPositive = () => stored().filter((r) => r.ended_at !== null && (r.ended_at <= r.started_at || r.duration_seconds <= 0));

async function clearEntries() {
  const lease = await instance.services.pool.acquire(owner.tenantId);
  try {
    await lease.db.deleteFrom("time_entries").execute();
  } finally {
    lease.release();
  }
}

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, org);
  const client = await owner.client.mutate("clients.create", { org, name: "Acme" });
  projectId = (await owner.client.mutate("projects.create", { org, clientId: client.data.id, name: "Site", hourlyRate: 10_000 })).data.id;
  ownerId = (await owner.client.query("members.me", { org })).data.userId;
  work = mkdtempSync(join(tmpdir(), "time-props-"));
}, 60_000);
afterAll(async () => {
  await instance?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe.each(ZONES)("in %s", (zone) => {
  it("no path stores a finished entry of zero or negative seconds, and every refusal is a readable 4xx", async () => {
    expect((await owner.client.mutate("settings.update", { org, timeZone: zone })).status).toBe(200);
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
        await clearEntries();
        for (const s of steps) {
          const ids = stored().map((r) => r.id);
          const target = s.kind === "update" || s.kind === "form-edit" ? ids[s.pick % Math.max(ids.length, 1)] : undefined;
          let status = 200;
          if (s.kind === "create") status = (await owner.client.mutate("time.create", { org, projectId, ...s.when })).status;
          else if (s.kind === "update" && target)
            status = (await owner.client.mutate("time.update", { org, id: target, ...s.when })).status;
          else if (s.kind === "form-edit" && target) {
            const before = (await owner.client.query("time.get", { org, id: target })).data;
            if (!before.running) {
              const failed = await postTimeForm(instance, owner.client, org, { ...editFormOf(before), note: s.note.trim() });
              expect(failed).toBeNull();
              const after = (await owner.client.query("time.get", { org, id: target })).data;
              // Only the note may change.
              expect({ ...after, note: before.note, updated_at: 0 }).toEqual({ ...before, updated_at: 0 });
            }
          } else if (s.kind === "timer") {
            const started = await owner.client.mutate("time.start", { org, projectId });
            instance.clock.advance(s.ms);
            status = started.status === 200 ? (await owner.client.mutate("time.stop", { org })).status : started.status;
          }
          expect(status, JSON.stringify(s)).toBeLessThan(500);
          expect(notPositive(), JSON.stringify(s)).toEqual([]);
        }
      }),
      { numRuns: 25, seed: SEED },
    );
  }, 240_000);
});

describe("the organisation export", () => {
  let copies = 0;
  it("round-trips every entry row for row, flagged and out-of-range ones included, in every zone", async () => {
    const legacy = fc.record({
      startedAt: fc.integer({ min: Date.UTC(1969, 0, 1), max: Date.UTC(2101, 0, 1) }),
      seconds: fc.integer({ min: -86_400, max: 86_400 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ZONES),
        fc.array(when, { maxLength: 5 }),
        fc.array(legacy, { maxLength: 3 }),
        async (zone, whens, olds) => {
          await clearEntries();
          expect((await owner.client.mutate("settings.update", { org, timeZone: zone })).status).toBe(200);
          for (const w of whens) await owner.client.mutate("time.create", { org, projectId, ...w });
          // Rows from before migration 0017, as it left them: the wrong ones flagged.
          const lease = await instance.services.pool.acquire(owner.tenantId);
          try {
            for (const [i, o] of olds.entries()) {
              const endedAt = o.startedAt + o.seconds * 1000;
              await lease.db
                .insertInto("time_entries")
                .values({
                  id: `e${"l".repeat(23)}${"abcdefgh"[i]}`,
                  member_id: ownerId,
                  project_id: projectId,
                  task_id: null,
                  started_at: o.startedAt,
                  ended_at: endedAt,
                  duration_seconds: o.seconds,
                  note: "legacy",
                  billable: 1,
                  hourly_rate: 10_000,
                  invoice_id: null,
                  created_at: 1,
                  updated_at: 1,
                  problem: o.seconds <= 0 ? "ends_before_start" : null,
                })
                .execute();
            }
          } finally {
            lease.release();
          }
          const out = join(work, `copy-${++copies}.zip`);
          await writeOrgExport(instance.services, owner.tenantId, out);
          const copy = await importOrgExport(instance.services, out, { slug: `time-props-copy-${copies}` });
          const read = (tenantId: string) => tenantRows(instance.dataDir, tenantId, "select * from time_entries order by id");
          expect(read(copy.tenantId)).toEqual(read(owner.tenantId));
        },
      ),
      { numRuns: 12, seed: SEED },
    );
  }, 240_000);
});
