import { TZDate } from "@date-fns/tz";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDays, dayStart, localDate } from "../../db/tenant/reports/periods";
import { sendDueDigests } from "../digest/send";
import { Client, ok } from "./support/client";
import { inviteMember, userWithOrg } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import type { ReceivedMail } from "./support/smtp";

/**
 * The daily digest end to end: real API calls make yesterday's activity, a real SMTP server receives
 * the mail, the clock is moved to the organisation's digest hour in its own time zone. Each member's
 * mail must show exactly what that member can see.
 *
 * Tasks and comments are stamped with the wall clock when created, so "yesterday" is the day the test
 * runs: the organisation's zone is chosen so that day is not about to end while the test runs.
 */

const HOUR = 3_600_000;
const MINUTE = 60_000;
const DIGEST_HOUR = 7;
const org = "digest-co";
const ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Pacific/Auckland", "America/Los_Angeles", "Asia/Kolkata"];
const zone = ZONES.find((z) => {
  const h = new TZDate(Date.now(), z).getHours();
  return h >= 2 && h <= 21;
})!;

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
type Person = Awaited<ReturnType<typeof inviteMember>>;
let manager: Person;
let restricted: Person;
let optedOut: Person;
let contact: Person;
let openProject: string;
let secretProject: string;
let activityDay: string;
let invoiceNumber: string;

/** Digests only: the invitations and confirmations sent while setting up are not counted. */
const mailsTo = (email: string) => instance.smtp.inbox.filter((m) => m.to.includes(email) && m.text.includes("/digest/unsubscribe?token="));
const tokenIn = (mail: ReceivedMail) => /\/digest\/unsubscribe\?token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1] ?? null;

/** Moves the manual clock to `minutes` past the digest hour of the local day after `date`. */
function moveClockTo(date: string, hour = DIGEST_HOUR, minutes = 5) {
  const target = dayStart(date, zone) + hour * HOUR + minutes * MINUTE;
  instance.clock.advance(target - instance.clock.now());
}

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, org);
  const o = owner.client;
  ok(await o.mutate("settings.update", { org, timeZone: zone, digestHour: DIGEST_HOUR }), "settings");
  const client = ok(await o.mutate("clients.create", { org, name: "Globex" }), "client");
  openProject = ok(
    await o.mutate("projects.create", { org, clientId: client.id, name: "Harbour Website", hourlyRate: 10_000 }),
    "open project",
  ).id;
  secretProject = ok(
    await o.mutate("projects.create", { org, clientId: client.id, name: "Project Nightjar", hourlyRate: 10_000 }),
    "secret project",
  ).id;

  manager = await inviteMember(instance, o, org, "manager", { name: "Mona Manager" });
  restricted = await inviteMember(instance, o, org, "member", { name: "Rita Restricted" });
  optedOut = await inviteMember(instance, o, org, "member", { name: "Otto Optedout" });
  contact = await inviteMember(instance, o, org, "client", { name: "Cleo Contact", clientId: client.id });
  ok(
    await o.mutate("sharing.add", { org, projectId: openProject, subject: { kind: "member", id: restricted.userId } }),
    "share restricted",
  );
  ok(await o.mutate("sharing.add", { org, projectId: openProject, subject: { kind: "member", id: optedOut.userId } }), "share opted-out");
  ok(await o.mutate("sharing.add", { org, projectId: openProject, subject: { kind: "client", id: client.id } }), "share client");

  // Each opts in for themselves; the opted-out member does not.
  for (const p of [manager, restricted, contact])
    expect(ok(await p.client.mutate("digest.set", { org, optIn: true }), "opt in").optIn).toBe(true);

  // Today's activity, which the digest sent tomorrow morning reports as "yesterday".
  activityDay = localDate(instance.clock.now(), zone);
  const alpha = ok(await o.mutate("tasks.create", { org, projectId: openProject, title: "Redesign the harbour map" }), "task alpha");
  const omega = ok(await o.mutate("tasks.create", { org, projectId: secretProject, title: "Nightjar launch codes" }), "task omega");
  const statuses = ok<{ id: string; category: string }[]>(await o.query("workflow.list", { org }), "statuses");
  ok(await o.mutate("tasks.move", { org, id: alpha.id, statusId: statuses.find((s) => s.category === "done")!.id }), "complete alpha");
  ok(await o.mutate("comments.create", { org, taskId: alpha.id, body: "Looks great" }), "comment open");
  ok(await o.mutate("comments.create", { org, taskId: omega.id, body: "Keep this quiet" }), "comment secret");
  const midnight = dayStart(activityDay, zone);
  ok(
    await o.mutate("time.create", { org, projectId: openProject, startedAt: midnight, endedAt: midnight + 2 * HOUR - 60 * MINUTE }),
    "owner time",
  );
  ok(
    await restricted.client.mutate("time.create", { org, projectId: openProject, startedAt: midnight, endedAt: midnight + 30 * MINUTE }),
    "restricted time",
  );
  ok(
    await manager.client.mutate("time.create", { org, projectId: secretProject, startedAt: midnight, endedAt: midnight + 30 * MINUTE }),
    "manager time",
  );
  const invoice = ok(await o.mutate("invoices.create", { org, clientId: client.id, from: activityDay, to: activityDay }), "invoice");
  invoiceNumber = ok(await o.mutate("invoices.issue", { org, id: invoice.id }), "issue").number;
  expect(invoiceNumber).toBeTruthy();
}, 60_000);
afterAll(() => instance.stop());

describe("daily digest", () => {
  it("sends nothing before the organisation's digest hour", async () => {
    moveClockTo(addDays(activityDay, 1), DIGEST_HOUR - 1, 59);
    const counts = await sendDueDigests(instance.services);
    expect(counts.sent).toBe(0);
    expect(instance.smtp.inbox.filter((m) => /activity on/.test(m.text))).toEqual([]);
  });

  it("sends each opted-in member what they can see, and nothing to those who did not opt in", async () => {
    moveClockTo(addDays(activityDay, 1));
    const counts = await sendDueDigests(instance.services);
    expect(counts).toMatchObject({ sent: 3, failed: 0 });

    const [toManager] = mailsTo(manager.email);
    expect(mailsTo(manager.email)).toHaveLength(1);
    expect(toManager!.text).toContain(`Subject: Org ${org}: activity on ${activityDay}`);
    for (const seen of [
      "Redesign the harbour map",
      "Nightjar launch codes",
      "Tasks created: 2",
      "Tasks completed: 1",
      "Comments: 2",
      "Harbour Website: 1",
      "Project Nightjar: 1",
      "Hours logged: 2 h",
      "Invoices issued: 1",
      invoiceNumber,
    ]) {
      expect(toManager!.text).toContain(seen);
    }

    const [toRestricted] = mailsTo(restricted.email);
    expect(mailsTo(restricted.email)).toHaveLength(1);
    for (const seen of ["Redesign the harbour map", "Tasks created: 1", "Tasks completed: 1", "Comments: 1", "Hours you logged: 0.5 h"])
      expect(toRestricted!.text).toContain(seen);
    for (const hidden of ["Nightjar", "Invoices issued", invoiceNumber]) expect(toRestricted!.text).not.toContain(hidden);

    const [toContact] = mailsTo(contact.email);
    expect(mailsTo(contact.email)).toHaveLength(1);
    for (const seen of ["Redesign the harbour map", "Tasks created: 1", "Comments: 1"]) expect(toContact!.text).toContain(seen);
    for (const hidden of ["Nightjar", "Hours", "Invoices issued", invoiceNumber]) expect(toContact!.text).not.toContain(hidden);

    expect(mailsTo(optedOut.email)).toEqual([]);
    expect(mailsTo(owner.email)).toEqual([]);
  });

  it("names the way out in a List-Unsubscribe header (needs the mailer to pass `headers` on)", () => {
    const [mail] = mailsTo(restricted.email);
    const token = tokenIn(mail!);
    // nodemailer folds a long header onto the next line.
    expect(mail!.raw).toMatch(new RegExp(`^List-Unsubscribe:\\s+<[^>]+/digest/unsubscribe\\?token=${token}>`, "m"));
  });

  it("sends nothing twice on a second run the same day", async () => {
    const before = instance.smtp.inbox.length;
    instance.clock.advance(3 * HOUR);
    const counts = await sendDueDigests(instance.services);
    expect(counts.sent).toBe(0);
    expect(instance.smtp.inbox.length).toBe(before);
    expect(ok(await manager.client.query("digest.get", { org }), "get").lastSentOn).toBe(localDate(instance.clock.now(), zone));
  });

  it("refuses forged tokens, another member's token and another organisation's, with a readable error", async () => {
    const anonymous = new Client(instance.url);
    const managerToken = tokenIn(mailsTo(manager.email)[0]!)!;
    const [tenantId, managerId, mac] = [managerToken.slice(0, 25), managerToken.slice(26, 51), managerToken.slice(52)];
    expect(managerId).toBe(manager.userId);
    const flipped = mac.slice(0, -2) + (mac.at(-2) === "A" ? "B" : "A") + mac.at(-1);
    const forged = [
      `${tenantId}_${managerId}_${flipped}`,
      // The manager's MAC does not vouch for the restricted member, nor for the same member elsewhere.
      `${tenantId}_${restricted.userId}_${mac}`,
      `t${"a".repeat(24)}_${managerId}_${mac}`,
    ];
    for (const token of forged) {
      const res = await anonymous.mutate("digest.unsubscribe", { token });
      expect(res.status).toBe(400);
      expect(res.error?.message).toMatch(/^This unsubscribe link is not valid/);
    }
    expect(ok(await manager.client.query("digest.get", { org }), "get").optIn).toBe(true);
    expect(ok(await restricted.client.query("digest.get", { org }), "get").optIn).toBe(true);
  });

  it("unsubscribes through the emailed link without logging in, idempotently; no mail the next day", async () => {
    const token = tokenIn(mailsTo(restricted.email)[0]!)!;
    const anonymous = new Client(instance.url);
    const first = ok(await anonymous.mutate("digest.unsubscribe", { token }), "unsubscribe");
    expect(first).toEqual({ orgName: `Org ${org}`, unsubscribed: true });
    expect(ok(await anonymous.mutate("digest.unsubscribe", { token }), "again")).toEqual(first);
    expect(ok(await restricted.client.query("digest.get", { org }), "get").optIn).toBe(false);

    // Activity on the next day, for both of them, reported the day after.
    const nextDay = addDays(activityDay, 1);
    const midnight = dayStart(nextDay, zone);
    ok(
      await restricted.client.mutate("time.create", {
        org,
        projectId: openProject,
        startedAt: midnight + HOUR,
        endedAt: midnight + 2 * HOUR,
      }),
      "restricted time",
    );
    ok(
      await manager.client.mutate("time.create", { org, projectId: openProject, startedAt: midnight + HOUR, endedAt: midnight + 2 * HOUR }),
      "manager time",
    );
    moveClockTo(addDays(nextDay, 1));
    const counts = await sendDueDigests(instance.services);
    expect(counts.sent).toBe(1);
    expect(mailsTo(restricted.email)).toHaveLength(1);
    expect(mailsTo(manager.email)).toHaveLength(2);
    expect(mailsTo(manager.email)[1]!.text).toContain("Hours logged: 2 h");
  });

  it("leaves a quiet day without mail, and marks it done", async () => {
    moveClockTo(addDays(activityDay, 3));
    const before = instance.smtp.inbox.length;
    const counts = await sendDueDigests(instance.services);
    expect(counts).toMatchObject({ sent: 0, quiet: 2 });
    expect(instance.smtp.inbox.length).toBe(before);
  });

  it("sends nothing again when the organisation's time zone moves west and its local date goes back", async () => {
    // Kiritimati (UTC+14) and Pago Pago (UTC-11) are 25 hours apart: always a day apart by date.
    ok(await owner.client.mutate("settings.update", { org, timeZone: "Pacific/Kiritimati", digestHour: 0 }), "east");
    await sendDueDigests(instance.services);
    const before = instance.smtp.inbox.length;
    ok(await owner.client.mutate("settings.update", { org, timeZone: "Pacific/Pago_Pago" }), "west");
    const counts = await sendDueDigests(instance.services);
    expect(counts).toMatchObject({ sent: 0, quiet: 0, failed: 0 });
    expect(instance.smtp.inbox.length).toBe(before);
    ok(await owner.client.mutate("settings.update", { org, timeZone: zone, digestHour: DIGEST_HOUR }), "back");
  });
});

describe("project activity report", () => {
  const range = () => ({ org, from: addDays(activityDay, -1), to: activityDay });

  it("shows a project's activity day by day, as the caller may see it", async () => {
    const report = ok(await manager.client.query("digest.projectReport", { ...range(), projectId: openProject }), "report");
    expect(report.project.name).toBe("Harbour Website");
    expect(report.days.map((d: { date: string }) => d.date)).toEqual([addDays(activityDay, -1), activityDay]);
    expect(report.days[1]).toMatchObject({ tasksCreated: 1, tasksCompleted: 1, comments: 1, seconds: 5400, invoicesIssued: 1 });
    expect(report.tasksCreated.items.map((t: { title: string }) => t.title)).toEqual(["Redesign the harbour map"]);
    expect(report.invoicesIssued.items[0].number).toBe(invoiceNumber);
    expect(report.hours.onlyOwn).toBe(false);

    const own = ok(await restricted.client.query("digest.projectReport", { ...range(), projectId: openProject }), "own report");
    expect(own.hours).toMatchObject({ seconds: 1800, onlyOwn: true });
    expect(own.invoicesIssued).toBeNull();
    const client = ok(await contact.client.query("digest.projectReport", { ...range(), projectId: openProject }), "client report");
    expect(client.hours).toBeNull();
    expect(client.tasksCreated.total).toBe(1);
  });

  it("answers a hidden project exactly like a missing one", async () => {
    const hidden = await restricted.client.query("digest.projectReport", { ...range(), projectId: secretProject });
    const missing = await restricted.client.query("digest.projectReport", { ...range(), projectId: `p${"a".repeat(24)}` });
    expect(hidden.status).toBe(404);
    expect(hidden.error).toEqual(missing.error);
  });

  it("refuses a range longer than 366 days or ending before it starts", async () => {
    const long = await manager.client.query("digest.projectReport", { org, projectId: openProject, from: "2024-01-01", to: "2025-01-01" });
    expect(long.status).toBe(400);
    expect(long.error?.fieldErrors?.to).toEqual(["Choose at most 366 days."]);
    expect(
      (await manager.client.query("digest.projectReport", { org, projectId: openProject, from: "2024-01-01", to: "2024-12-31" })).status,
    ).toBe(200);
    expect(
      (await manager.client.query("digest.projectReport", { org, projectId: openProject, from: "2024-01-02", to: "2024-01-01" })).status,
    ).toBe(400);
  });
});
