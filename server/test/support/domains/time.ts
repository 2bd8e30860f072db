import type { TenantCalls } from "../calls";
import type { Seeding } from "../world";

const HOUR = 3_600_000;
/** A random whole hour in 2020, so repeated calls in one organisation do not overlap one another. */
const somewhereIn2020 = () => Date.UTC(2020, 0, 1) + Math.floor(Math.random() * 8_000) * HOUR;
const range = { from: "2000-01-01", to: "2099-12-31" };

/** Valid inputs for the time procedures; the isolation and proof suites call each one. */
export const timeCalls: TenantCalls = {
  "time.current": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  "time.projects": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered", project: "list" },
  "time.list": {
    kind: "query",
    input: (t) => ({ org: t.slug, projectId: t.projectId, ...range }),
    foreignIds: "answered",
    project: "list",
  },
  "time.listAll": {
    kind: "query",
    input: (t) => ({ org: t.slug, memberId: t.timeMemberId, ...range }),
    foreignIds: "answered",
    project: "list",
  },
  "time.get": { kind: "query", input: (t) => ({ org: t.slug, id: t.timeEntryId }), project: "target" },
  "time.start": { kind: "mutation", input: (t) => ({ org: t.slug, projectId: t.projectId, note: "suite check" }), project: "target" },
  // Stopping with no timer running answers null: a second Stop click is harmless.
  "time.stop": { kind: "mutation", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  "time.create": {
    kind: "mutation",
    input: (t) => {
      const startedAt = somewhereIn2020();
      return { org: t.slug, projectId: t.projectId, startedAt, endedAt: startedAt + HOUR / 2, note: "suite check" };
    },
    project: "target",
  },
  "time.createFor": {
    kind: "mutation",
    input: (t) => {
      const startedAt = somewhereIn2020();
      return { org: t.slug, memberId: t.timeMemberId, projectId: t.projectId, startedAt, endedAt: startedAt + HOUR / 2 };
    },
    project: "target",
  },
  "time.update": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.timeEntryId, note: "Edited" }), project: "target" },
  "time.delete": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.timeEntryId }), project: "target" },
  "time.problems": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered", project: "list" },
  "time.repricePreview": { kind: "query", input: (t) => ({ org: t.slug, projectId: t.projectId, ...range }), project: "target" },
  // A token no preview gave: refused as out of date, after the permission and the project were checked.
  "time.reprice": { kind: "mutation", input: (t) => ({ org: t.slug, projectId: t.projectId, token: "0".repeat(64) }), project: "target" },
  "rates.list": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered", project: "list" },
  "rates.resolve": { kind: "query", input: (t) => ({ org: t.slug, memberId: t.timeMemberId, projectId: t.projectId }), project: "target" },
  "rates.set": {
    kind: "mutation",
    input: (t) => ({ org: t.slug, memberId: t.timeMemberId, projectId: t.projectId, hourlyRate: 9_500 }),
    project: "target",
  },
  "rates.clear": { kind: "mutation", input: (t) => ({ org: t.slug, memberId: t.timeMemberId, projectId: t.projectId }), project: "target" },
  // A seeded EUR organisation has no wrong-scale rates to review: the list is empty, and a review id is refused as missing.
  "rates.scaleReviews": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  "rates.resolveScaleReview": { kind: "mutation", input: (t) => ({ org: t.slug, id: 1, decision: "keep" }) },
};

/** Bad inputs for the time procedures (see bad-input.test.ts); "$key" names a seeded row of the target. */
export const timeBadInputs = (org: string): Record<string, unknown[]> => {
  const ok = { org };
  const p = { ...ok, projectId: "$projectId" };
  return {
    "time.current": [{}, { org: "Not A Slug" }],
    "time.projects": [{}, { org: 5 }],
    "time.list": [
      { ...ok, from: "2024-02-30" },
      { ...ok, limit: 0 },
      { ...ok, from: "2024-05-02", to: "2024-05-01" },
      { ...ok, memberId: "x" },
    ],
    "time.listAll": [
      { ...ok, to: "tomorrow" },
      { ...ok, limit: 5000 },
      { ...ok, billable: "yes" },
    ],
    "time.get": [{ ...ok }, { ...ok, id: "$projectId" }],
    "time.start": [{ ...ok }, { ...p, note: "x".repeat(2001) }, { ...p, billable: "no" }, { ...ok, projectId: "$clientId" }],
    "time.stop": [{}, { org: 7 }],
    "time.create": [
      { ...p },
      { ...p, date: "2024-05-01", durationSeconds: 0 },
      { ...p, startedAt: 2_000_000, endedAt: 1_000_000 },
      { ...p, date: "2024-05-01", start: "25:00", end: "26:00" },
      { ...p, date: "2024-05-01", durationSeconds: 3600, start: "09:00", end: "10:00" },
      { ...p, date: "0025-06-01", durationSeconds: 3600 },
      { ...p, date: "2101-01-01", start: "09:00", end: "10:00" },
      { ...p, startedAt: -86_400_000, endedAt: -82_800_000 },
      { ...p, date: "2025-10-26", durationSeconds: 600, startOccurrence: "first" },
    ],
    "time.createFor": [
      { ...p, startedAt: 1_000_000, endedAt: 2_000_000 },
      { ...p, memberId: "$timeMemberId", date: "2024-05-01", durationSeconds: 90_000 },
      { ...p, memberId: "$clientId", date: "2024-05-01", durationSeconds: 600 },
    ],
    "time.update": [
      { ...ok, id: "$timeEntryId", note: 5 },
      { ...ok, id: "$timeEntryId", start: "09:00" },
      { ...ok, id: "bad" },
      { ...ok, id: "$timeEntryId", startedAt: 1.5, endedAt: 2 },
    ],
    "time.delete": [{ ...ok }, { ...ok, id: "$clientId" }],
    "time.problems": [{}, { org: "Not A Slug" }],
    "time.repricePreview": [
      { ...ok, from: "0025-06-01", to: "0026-06-01" },
      { ...ok, from: "2024-05-02", to: "2024-05-01" },
      { ...ok, projectId: "$clientId" },
    ],
    "time.reprice": [{ ...p }, { ...p, token: "not-a-token" }, { ...p, token: "0".repeat(64), from: "1969-12-31" }],
    "rates.list": [{}, { org: "../x" }],
    "rates.resolve": [
      { ...ok, memberId: "$timeMemberId" },
      { ...p, memberId: "x" },
    ],
    "rates.set": [
      { ...ok, memberId: "$timeMemberId", hourlyRate: 12.5 },
      { ...ok, memberId: "$timeMemberId", hourlyRate: -1 },
      { ...ok, memberId: "$timeMemberId", projectId: "$clientId", hourlyRate: 100 },
      { ...ok, memberId: "$timeMemberId", hourlyRate: "100" },
    ],
    "rates.clear": [{ ...ok }, { ...ok, memberId: "$timeMemberId", projectId: 5 }],
    "rates.scaleReviews": [{}, { org: 5 }],
    "rates.resolveScaleReview": [
      { ...ok, id: 1 },
      { ...ok, id: "1", decision: "fix" },
      { ...ok, id: 1, decision: "rescale" },
    ],
  };
};

/**
 * One finished entry of the owner in t.projectId (t.timeEntryId), made through the API, and the
 * owner's member id (t.timeMemberId) for the calls that name a member.
 */
export async function seedTime(s: Seeding): Promise<void> {
  const startedAt = Date.UTC(2019, 5, 3, 9);
  const entry = await s.owner.mutate("time.create", {
    org: s.target.slug,
    projectId: s.target.projectId,
    startedAt,
    endedAt: startedAt + 2 * HOUR,
    note: "Seeded",
  });
  if (entry.status !== 200) throw new Error(`seeding time in ${s.target.slug}: ${JSON.stringify(entry.error)}`);
  s.target.timeEntryId = entry.data.id;
  s.target.timeMemberId = entry.data.member_id;
}
