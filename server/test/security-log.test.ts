import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../auth/accounts";
import { Client } from "./support/client";
import { STRONG_PASSWORD, uniqueEmail, verifiedUser } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";

interface HistoryRow {
  id: number;
  at: number;
  event: string;
  ip: string | null;
  userAgent: string | null;
  detail: Record<string, unknown>;
}
interface PlatformRow extends HistoryRow {
  userId: string | null;
  accountEmail: string | null;
  accountName: string | null;
  email: string | null;
}

const DAY = 86_400_000;
const ATTACKER_IP = "198.51.100.23";
const HOME_IP = "203.0.113.5";
const OTHER_IP = "192.0.2.99";

let instance: Instance;
let alice: Awaited<ReturnType<typeof verifiedUser>> & { id: string };
let bob: Awaited<ReturnType<typeof verifiedUser>> & { id: string };
let staff: Client;
let unknownEmail: string;
/** Clock readings between the phases below, for the date filters. */
let dayOneEnd: number;
let dayTwoStart: number;

async function idOf(email: string) {
  return (await instance.services.control.selectFrom("users").select("id").where("email", "=", email).executeTakeFirstOrThrow()).id;
}

async function rowsOf(userId: string) {
  return instance.services.control
    .selectFrom("security_log")
    .select(["id", "event"])
    .where("user_id", "=", userId)
    .orderBy("id", "desc")
    .execute();
}

/** The last hop of X-Forwarded-For is the client address when TRUST_PROXY is on. */
const from = (ip: string, userAgent = "TestBrowser/1.0") => ({ "x-forwarded-for": ip, "user-agent": userAgent });

async function all<T extends { id: number }>(client: Client, path: string, input: Record<string, unknown> = {}, limit = 200) {
  const items: T[] = [];
  let cursor: number | undefined;
  for (;;) {
    const res = await client.query(path, { ...input, limit, cursor });
    expect(res.status, JSON.stringify(res.error)).toBe(200);
    items.push(...(res.data.items as T[]));
    if (res.data.nextCursor === null) return items;
    cursor = res.data.nextCursor;
  }
}

beforeAll(async () => {
  instance = await startInstance({ TRUST_PROXY: "true" });

  // Day one: Alice signs up; someone tries her password from elsewhere; she signs in from home.
  const a = await verifiedUser(instance, "Alice");
  alice = { ...a, id: await idOf(a.email) };
  const attacker = new Client(instance.url);
  expect(
    (await attacker.mutate("auth.login", { email: alice.email, password: "guessing-the-password-1" }, from(ATTACKER_IP, "AttackerBot/6.6")))
      .status,
  ).toBe(401);
  unknownEmail = uniqueEmail("nobody");
  expect(
    (
      await attacker.mutate(
        "auth.login",
        { email: unknownEmail, password: "guessing-the-password-2" },
        from(ATTACKER_IP, "AttackerBot/6.6"),
      )
    ).status,
  ).toBe(401);
  const laptop = new Client(instance.url);
  expect((await laptop.mutate("auth.login", { email: alice.email, password: STRONG_PASSWORD }, from(HOME_IP))).status).toBe(200);
  dayOneEnd = instance.clock.now();

  // Day two: Alice ends the laptop session from her first one and signs out; Bob has his own events.
  instance.clock.advance(DAY);
  dayTwoStart = instance.clock.now();
  const sessions = await alice.client.query("account.sessions");
  const other = (sessions.data as { id: string; current: boolean }[]).find((s) => !s.current)!;
  expect((await alice.client.mutate("account.revokeSession", { id: other.id })).status).toBe(200);

  const b = await verifiedUser(instance, "Bob");
  bob = { ...b, id: await idOf(b.email) };
  expect(
    (await new Client(instance.url).mutate("auth.login", { email: bob.email, password: "not-bobs-password-9" }, from(OTHER_IP))).status,
  ).toBe(401);

  const staffEmail = uniqueEmail("staff");
  await createUser(instance.services, { name: "Operator", email: staffEmail, password: STRONG_PASSWORD, isStaff: true, verified: true });
  staff = new Client(instance.url);
  expect((await staff.mutate("auth.login", { email: staffEmail, password: STRONG_PASSWORD })).status).toBe(200);
});
afterAll(() => instance.stop());

describe("security.myHistory", () => {
  it("shows the user's own history, newest first, including a failed attempt with its IP", async () => {
    const items = await all<HistoryRow>(alice.client, "security.myHistory");
    expect(items.map((e) => e.id)).toEqual((await rowsOf(alice.id)).map((r) => r.id));
    expect(items.map((e) => e.event)).toEqual(["session.revoked", "login.success", "login.failure", "email.verified", "signup"]);
    const failure = items.find((e) => e.event === "login.failure")!;
    expect(failure).toMatchObject({ ip: ATTACKER_IP, userAgent: "AttackerBot/6.6", at: expect.any(Number) });
    expect(items.find((e) => e.event === "login.success")).toMatchObject({ ip: HOME_IP, userAgent: "TestBrowser/1.0" });
    expect(items.find((e) => e.event === "session.revoked")?.detail).toMatchObject({ session: expect.stringMatching(/^[0-9a-f]{8}$/) });
  });

  it("never shows another user's rows, nor attempts on addresses with no account", async () => {
    const mine = await all<HistoryRow>(alice.client, "security.myHistory");
    const bobs = new Set((await rowsOf(bob.id)).map((r) => r.id));
    expect(mine.some((e) => bobs.has(e.id))).toBe(false);
    expect(mine.some((e) => e.ip === OTHER_IP)).toBe(false);
    const bobItems = await all<HistoryRow>(bob.client, "security.myHistory");
    expect(bobItems.map((e) => e.event)).toEqual(["login.failure", "email.verified", "signup"]);
    expect(bobItems[0]!.ip).toBe(OTHER_IP);
    expect(JSON.stringify(bobItems)).not.toContain(ATTACKER_IP);
    expect(JSON.stringify(mine)).not.toContain(unknownEmail);
  });

  it("pages by id without gaps or repeats", async () => {
    const full = await all<HistoryRow>(alice.client, "security.myHistory");
    expect(await all<HistoryRow>(alice.client, "security.myHistory", {}, 2)).toEqual(full);
    const first = await alice.client.query("security.myHistory", { limit: 2 });
    expect(first.data.nextCursor).toBe(first.data.items[1].id);
    // The default input: called with nothing at all.
    expect((await alice.client.query("security.myHistory")).data.items).toEqual(full);
  });

  it("refuses anonymous callers", async () => {
    expect((await new Client(instance.url).query("security.myHistory")).status).toBe(401);
  });

  it("records signing out", async () => {
    const phone = new Client(instance.url);
    expect((await phone.mutate("auth.login", { email: alice.email, password: STRONG_PASSWORD }, from(HOME_IP, "Phone/2.0"))).status).toBe(
      200,
    );
    expect((await phone.mutate("auth.logout", undefined, from(HOME_IP, "Phone/2.0"))).status).toBe(200);
    const [latest, before] = (await alice.client.query("security.myHistory", { limit: 2 })).data.items as HistoryRow[];
    expect(latest).toMatchObject({ event: "logout", userAgent: "Phone/2.0", ip: HOME_IP });
    expect(before).toMatchObject({ event: "login.success", userAgent: "Phone/2.0" });
  });
});

describe("security.platformLog", () => {
  it("is refused to anyone who is not staff", async () => {
    const res = await alice.client.query("security.platformLog", {});
    expect(res.status).toBe(403);
    expect(res.error?.code).toBe("FORBIDDEN");
    expect((await new Client(instance.url).query("security.platformLog", {})).status).toBe(401);
  });

  it("shows staff everyone's rows, newest first, with the account they concern", async () => {
    const items = await all<PlatformRow>(staff, "security.platformLog");
    const everything = await instance.services.control.selectFrom("security_log").select("id").orderBy("id", "desc").execute();
    expect(items.map((e) => e.id)).toEqual(everything.map((r) => r.id));
    const aliceFailure = items.find((e) => e.event === "login.failure" && e.userId === alice.id)!;
    expect(aliceFailure).toMatchObject({ accountEmail: alice.email, accountName: "Alice", email: alice.email, ip: ATTACKER_IP });
    const unknown = items.find((e) => e.email === unknownEmail)!;
    expect(unknown).toMatchObject({ event: "login.failure", userId: null, accountEmail: null, ip: ATTACKER_IP });
    expect(items.some((e) => e.userId === bob.id)).toBe(true);
  });

  it("filters by event, exactly or by prefix", async () => {
    const failures = await all<PlatformRow>(staff, "security.platformLog", { event: "login.failure" });
    expect(failures.map((e) => e.email).sort()).toEqual([alice.email, unknownEmail, bob.email].sort());
    const logins = await all<PlatformRow>(staff, "security.platformLog", { event: "login." });
    expect(new Set(logins.map((e) => e.event))).toEqual(new Set(["login.failure", "login.success"]));
    expect((await all<PlatformRow>(staff, "security.platformLog", { event: "login.*" })).map((e) => e.id)).toEqual(logins.map((e) => e.id));
    expect(await all(staff, "security.platformLog", { event: "login" })).toEqual([]);
  });

  it("filters by email (part of it, any case), by IP, and combined", async () => {
    const alices = await all<PlatformRow>(staff, "security.platformLog", { email: alice.email.toUpperCase() });
    expect(alices.length).toBeGreaterThanOrEqual(5);
    // Rows without an email of their own (e.g. session.revoked) are found through the account.
    expect(alices.every((e) => e.email === alice.email || e.accountEmail === alice.email)).toBe(true);
    expect(alices.map((e) => e.event)).toContain("session.revoked");
    const domain = await all<PlatformRow>(staff, "security.platformLog", { email: "@example.test" });
    expect(domain.length).toBeGreaterThan(alices.length);
    // Matched literally: "%" is no wildcard.
    expect(await all(staff, "security.platformLog", { email: "%" })).toEqual([]);

    const fromAttacker = await all<PlatformRow>(staff, "security.platformLog", { ip: ATTACKER_IP });
    expect(fromAttacker.map((e) => e.email).sort()).toEqual([alice.email, unknownEmail].sort());
    const combined = await all<PlatformRow>(staff, "security.platformLog", { ip: ATTACKER_IP, email: "nobody", event: "login.failure" });
    expect(combined.map((e) => e.email)).toEqual([unknownEmail]);
  });

  it("filters by date range (ms or whole UTC days)", async () => {
    const dayOne = await all<PlatformRow>(staff, "security.platformLog", { to: dayOneEnd });
    const dayTwo = await all<PlatformRow>(staff, "security.platformLog", { from: dayTwoStart });
    expect(dayOne.length + dayTwo.length).toBe((await all(staff, "security.platformLog")).length);
    expect(dayOne.every((e) => e.at <= dayOneEnd)).toBe(true);
    expect(dayTwo.every((e) => e.at >= dayTwoStart)).toBe(true);
    expect(dayTwo.map((e) => e.event)).toContain("session.revoked");
    expect(dayOne.map((e) => e.event)).not.toContain("session.revoked");

    const day = new Date(dayTwoStart).toISOString().slice(0, 10);
    const byDate = await all<PlatformRow>(staff, "security.platformLog", { from: day, to: day });
    expect(byDate.every((e) => new Date(e.at).toISOString().startsWith(day))).toBe(true);
    expect(byDate.map((e) => e.id)).toContain(dayTwo.find((e) => e.event === "session.revoked")!.id);
  });

  it("pages by id like the other logs", async () => {
    const full = await all<PlatformRow>(staff, "security.platformLog");
    expect(await all<PlatformRow>(staff, "security.platformLog", {}, 3)).toEqual(full);
  });
});
