import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenantFilePath } from "../../db/tenant/paths";
import { compactionsIdle } from "../privacy/compaction";
import { deleteAccount } from "../privacy/delete-account";
import { STRONG_PASSWORD, inviteMember, userWithOrg, verifiedUser } from "./support/accounts";
import { Client, ok } from "./support/client";
import { startInstance, type Instance } from "./support/instance";
import { filesUnder, tenantDigest, tenantRows } from "./support/tenant-files";

const HOUR = 3_600_000;
const NAME = "Zebediah Quirkfeather";
const EMAIL = "zeb.quirkfeather@example.test";
const IP = "203.0.113.77";
const OTHER = { name: "Bartholomew Otherperson", email: "bart.otherperson@example.test" };
const DEAD_URL = "http://127.0.0.1:9/hooks";
const fromIp = { "x-forwarded-for": IP };

let instance: Instance;
let alice: Awaited<ReturnType<typeof userWithOrg>>;
let bart: Awaited<ReturnType<typeof verifiedUser>>;
let zeb: Client;
let zebId: string;
let studioId: string;
let acmeTask: string;

/** Files whose bytes contain the needle, ignoring ASCII case (latin1 keeps one char per byte). */
function filesContaining(needle: string) {
  return filesUnder(instance.dataDir).filter((f) => readFileSync(f).toString("latin1").toLowerCase().includes(needle.toLowerCase()));
}

async function login(email: string, password = STRONG_PASSWORD) {
  const client = new Client(instance.url);
  return { client, res: await client.mutate("auth.login", { email, password }, fromIp) };
}

async function controlState() {
  const c = instance.services.control;
  return {
    user: await c.selectFrom("users").selectAll().where("id", "=", zebId).executeTakeFirstOrThrow(),
    memberships: await c.selectFrom("memberships").select("tenant_id").where("user_id", "=", zebId).orderBy("tenant_id").execute(),
    sessions: await c.selectFrom("sessions").select("id").where("user_id", "=", zebId).orderBy("id").execute(),
  };
}

function tenantIds() {
  return readdirSync(join(instance.dataDir, "tenants"))
    .filter((n) => n.endsWith(".sqlite"))
    .map((n) => n.slice(0, -".sqlite".length));
}

/** The file and its WAL, as bytes. */
const fileBytes = (tenantId: string) =>
  ["", "-wal"].map((suffix) => {
    const f = tenantFilePath(instance.dataDir, tenantId) + suffix;
    return existsSync(f) ? readFileSync(f) : Buffer.alloc(0);
  });

const digests = () => Object.fromEntries(tenantIds().map((id) => [id, tenantDigest(instance.dataDir, id)]));

beforeAll(async () => {
  instance = await startInstance({ TRUST_PROXY: "true" });
  alice = await userWithOrg(instance, "acme");
  bart = await verifiedUser(instance, OTHER.name, OTHER.email);

  // The person: their own organisation, an admin seat at acme through an invitation, a past seat at old-gig.
  const signedUp = await verifiedUser(instance, NAME, EMAIL);
  const first = await login(EMAIL, "wrong-password-123456");
  expect(first.res.status).toBe(401);
  zeb = (await login(EMAIL)).client;
  void signedUp;
  zebId = (await instance.services.control.selectFrom("users").select("id").where("email", "=", EMAIL).executeTakeFirstOrThrow()).id;
  ok(await zeb.mutate("orgs.create", { name: "Zeb Studio", slug: "zeb-studio" }, fromIp), "studio");
  studioId = (await instance.services.control.selectFrom("tenants").select("id").where("slug", "=", "zeb-studio").executeTakeFirstOrThrow())
    .id;

  // A webhook on member.joined copies the joiner's name into acme's delivery log.
  const hook = ok(await alice.client.mutate("webhooks.create", { org: "acme", url: DEAD_URL, events: ["member.joined"] }), "webhook");
  await inviteMember(instance, alice.client, "acme", "admin", { email: EMAIL, existing: zeb });
  await inviteMember(instance, alice.client, "acme", "member", { email: OTHER.email, existing: bart.client });
  ok(await alice.client.mutate("webhooks.update", { org: "acme", id: hook.webhook.id, active: false }), "pause");
  await instance.services.webhooks.runOnce();

  // An organisation the person never joined, whose client contact happens to be their address.
  ok(await bart.client.mutate("orgs.create", { name: "Bart Co", slug: "bart-co" }), "bart-co");
  ok(await bart.client.mutate("clients.create", { org: "bart-co", name: "Contact is Zeb", contactEmail: EMAIL }), "bart-co client");

  const oldGig = await userWithOrg(instance, "old-gig");
  await inviteMember(instance, oldGig.client, "old-gig", "member", { email: EMAIL, existing: zeb });
  ok(await zeb.mutate("members.leave", { org: "old-gig" }, fromIp), "leave");

  // Records at acme: Alice's project and task, Zeb's task, comment and time; Bart's own comment.
  const client = ok(await alice.client.mutate("clients.create", { org: "acme", name: "Globex" }), "client");
  const project = ok(await alice.client.mutate("projects.create", { org: "acme", clientId: client.id, name: "Website" }), "project");
  ok(await alice.client.mutate("sharing.setSharedSpace", { org: "acme", projectId: project.id, shared: true }), "shared space");
  acmeTask = ok(await alice.client.mutate("tasks.create", { org: "acme", projectId: project.id, title: "Launch plan" }), "task").id;
  ok(await alice.client.mutate("tasks.create", { org: "acme", projectId: project.id, title: `Ask ${NAME} about the launch` }), "mention");
  ok(
    await zeb.mutate(
      "tasks.create",
      { org: "acme", projectId: project.id, title: "Zeb's checklist", description: "Written by the person" },
      fromIp,
    ),
    "zeb task",
  );
  ok(await zeb.mutate("comments.create", { org: "acme", taskId: acmeTask, body: "Zeb's comment on the plan" }, fromIp), "zeb comment");
  ok(await bart.client.mutate("comments.create", { org: "acme", taskId: acmeTask, body: "Bart's comment" }), "bart comment");
  const now = instance.clock.now();
  ok(
    await zeb.mutate(
      "time.create",
      { org: "acme", projectId: project.id, startedAt: now - 3 * HOUR, endedAt: now - 2 * HOUR, note: "Zeb's hour" },
      fromIp,
    ),
    "time",
  );

  // At the studio: a project and a timer still running when the account goes.
  const sc = ok(await zeb.mutate("clients.create", { org: "zeb-studio", name: "Initech", contactEmail: EMAIL }, fromIp), "studio client");
  const sp = ok(await zeb.mutate("projects.create", { org: "zeb-studio", clientId: sc.id, name: "Studio work" }, fromIp), "studio project");
  ok(await zeb.mutate("time.start", { org: "zeb-studio", projectId: sp.id, note: "running" }, fromIp), "timer");
  // A minute on the timer: one younger than a second is dropped at erasure, not kept (ADR 016).
  instance.clock.advance(60_000);
  ok(
    await zeb.mutate("apiTokens.create", { org: "acme", name: "zeb script", scopes: ["client.read"], expiresInDays: 30 }, fromIp),
    "token",
  );
});
afterAll(() => instance.stop());

describe("personal data export", () => {
  it("holds the person's account, sessions, logins and what they wrote, and nothing of anyone else", async () => {
    const res = await zeb.query("account.exportData");
    expect(res.status).toBe(200);
    const data = res.data;
    expect(data).toMatchObject({
      format: "opslayer-personal-data",
      version: 2,
      account: { id: zebId, name: NAME, email: EMAIL, emailVerified: true, staff: false },
    });
    expect(data.memberships.map((m: { organisation: string }) => m.organisation)).toEqual(["acme", "zeb-studio"]);
    expect(data.sessions.some((s: { ip: string }) => s.ip === IP)).toBe(true);
    const events = data.loginHistory.map((h: { event: string }) => h.event);
    expect(events).toContain("login.failure");
    expect(events).toContain("login.success");
    expect(data.apiTokens).toEqual([expect.objectContaining({ organisation: "acme", name: "zeb script", scopes: ["client.read"] })]);
    const acme = data.organisations.find((o: { slug: string }) => o.slug === "acme");
    expect(acme.tasksCreated.map((t: { title: string }) => t.title)).toEqual(["Zeb's checklist"]);
    expect(acme.comments.map((c: { body: string }) => c.body)).toEqual(["Zeb's comment on the plan"]);
    expect(acme.timeEntries.map((e: { note: string }) => e.note)).toEqual(["Zeb's hour"]);
    expect(acme.auditActions.length).toBeGreaterThan(0);
    const text = JSON.stringify(data);
    for (const foreign of [OTHER.name, OTHER.email, alice.email, alice.name, "Bart's comment", `Ask ${NAME}`]) {
      expect(text).not.toContain(foreign);
    }
    const logged = await instance.services.control
      .selectFrom("security_log")
      .select("event")
      .where("user_id", "=", zebId)
      .where("event", "=", "account.exported")
      .execute();
    expect(logged).toHaveLength(1);
  });
});

describe("account deletion", () => {
  it("refuses a wrong password or confirmation, and changes nothing", async () => {
    const before = { control: await controlState(), files: digests() };
    const wrong = await zeb.mutate("account.delete", { password: "not-my-password-999", confirm: EMAIL });
    expect(wrong.status).toBe(400);
    expect(wrong.error?.message).toBe("Your password is not correct.");
    const unconfirmed = await zeb.mutate("account.delete", { password: STRONG_PASSWORD, confirm: "DELETE" });
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.error?.message).toBe(`Type your email address (${EMAIL}) to confirm.`);
    expect(await controlState()).toEqual(before.control);
    expect(digests()).toEqual(before.files);
  });

  it("refuses the last owner of an organisation, naming it, and changes nothing", async () => {
    const before = { control: await controlState(), files: digests() };
    const res = await zeb.mutate("account.delete", { password: STRONG_PASSWORD, confirm: EMAIL });
    expect(res.status).toBe(409);
    expect(res.error?.message).toBe(
      "You are the last owner of Zeb Studio (zeb-studio). Make someone else an owner there before deleting your account.",
    );
    expect(await controlState()).toEqual(before.control);
    expect(digests()).toEqual(before.files);
  });

  it("also counts a closed organisation that could still be restored", async () => {
    const res = await zeb.mutate("termination.terminate", { org: "zeb-studio", confirmSlug: "zeb-studio" });
    expect(res.status).toBe(200);
    const refused = await zeb.mutate("account.delete", { password: STRONG_PASSWORD, confirm: EMAIL });
    expect(refused.status).toBe(409);
    expect(refused.error?.message).toContain("zeb-studio; closed, restorable until");
    expect((await zeb.mutate("termination.restore", { slug: "zeb-studio" })).status).toBe(200);
  });

  describe("once another owner is in place", () => {
    let pseudonym: string;
    let oldCookie: string;
    let bartCoId: string;
    let bartCoBefore: Buffer[];
    const opened = new Set<string>();

    beforeAll(async () => {
      await inviteMember(instance, zeb, "zeb-studio", "owner", { email: alice.email, existing: alice.client });
      oldCookie = zeb.cookieHeader();
      bartCoId = (
        await instance.services.control.selectFrom("tenants").select("id").where("slug", "=", "bart-co").executeTakeFirstOrThrow()
      ).id;
      bartCoBefore = fileBytes(bartCoId);
      const { pool } = instance.services;
      const acquire = pool.acquire.bind(pool);
      pool.acquire = (tenantId: string) => {
        opened.add(tenantId);
        return acquire(tenantId);
      };
      let res;
      try {
        res = await zeb.mutate("account.delete", { password: STRONG_PASSWORD, confirm: EMAIL.toUpperCase() }, fromIp);
        await compactionsIdle(instance.services);
      } finally {
        pool.acquire = acquire;
      }
      expect(res.status, JSON.stringify(res.error)).toBe(200);
      pseudonym = res.data.pseudonym;
      expect(res.setCookies.some((c) => /max-age=0/i.test(c))).toBe(true);
    });

    it("leaves the IP in no file and the name and email in no file of the platform's, once the queued compaction ran", async () => {
      await compactionsIdle(instance.services);
      expect(await instance.services.control.selectFrom("file_compactions").select("target").execute()).toEqual([]);
      expect(filesContaining(IP)).toEqual([]);
      const control = filesUnder(instance.dataDir).filter((f) => /control\.sqlite/.test(f));
      expect(control.length).toBeGreaterThan(0);
      for (const needle of [EMAIL, NAME, "quirkfeather"]) expect(filesContaining(needle).filter((f) => control.includes(f))).toEqual([]);
      // No member row anywhere still names them; the scan does see what is there: the other people are in the files.
      for (const id of tenantIds()) {
        const rows = tenantRows(instance.dataDir, id, "select name, email from members");
        expect(JSON.stringify(rows).toLowerCase()).not.toContain("quirkfeather");
      }
      expect(filesContaining(OTHER.email).length).toBeGreaterThan(0);
    });

    it("leaves what other people typed as they typed it, and never opens an organisation the person never joined", () => {
      // Bart's client contact at bart-co is the person's own address; bart-co is still byte for byte what it was.
      expect(fileBytes(bartCoId)).toEqual(bartCoBefore);
      expect(tenantRows(instance.dataDir, bartCoId, "select contact_email from clients")).toEqual([{ contact_email: EMAIL }]);
      expect(opened.has(bartCoId)).toBe(false);
      expect(opened.has(alice.tenantId)).toBe(true);
    });

    it("gives a stable pseudonym, kept on the account row", async () => {
      expect(pseudonym).toMatch(/^deleted-user-[0-9a-f]{4,}$/);
      const user = await instance.services.control.selectFrom("users").selectAll().where("id", "=", zebId).executeTakeFirstOrThrow();
      expect(user).toMatchObject({ name: pseudonym, email: `${pseudonym}@deleted.invalid`, pseudonym, is_staff: 0 });
      expect(user.deleted_at).not.toBeNull();
      // Running it again (as after a crash, or from the CLI) changes nothing and gives the same name.
      const again = await deleteAccount(instance.services, zebId, { ip: "cli", userAgent: null }, { actor: "operator" });
      expect(again.pseudonym).toBe(pseudonym);
    });

    it("shows their audit rows, comments and time under the pseudonym, without IP or browser", async () => {
      const log = ok(await alice.client.query("audit.list", { org: "acme", actorId: zebId }), "audit");
      expect(log.items.length).toBeGreaterThan(2);
      for (const e of log.items) expect(e).toMatchObject({ actorId: zebId, actorName: pseudonym, ip: null, userAgent: null });
      const comments = ok(await alice.client.query("comments.list", { org: "acme", taskId: acmeTask }), "comments");
      const items = Array.isArray(comments) ? comments : comments.items;
      expect(items.map((c: { authorName: string; body: string }) => [c.authorName, c.body])).toContainEqual([
        pseudonym,
        "Zeb's comment on the plan",
      ]);
      const time = tenantRows<{ member_id: string; note: string; ended_at: number | null }>(
        instance.dataDir,
        studioId,
        "select member_id, note, ended_at from time_entries",
      );
      expect(time).toEqual([{ member_id: zebId, note: "running", ended_at: expect.any(Number) }]);
      const members = ok(await alice.client.query("members.list", { org: "acme" }), "members");
      const row = members.find((m: { userId: string }) => m.userId === zebId);
      expect(row).toMatchObject({ name: pseudonym, email: `${pseudonym}@deleted.invalid`, role: "deleted" });
      const mention = tenantRows<{ title: string }>(instance.dataDir, alice.tenantId, "select title from tasks where title like 'Ask %'");
      // Alice's words: the organisation's record, handled by its admins on request (Settings → Data subject requests).
      expect(mention).toEqual([{ title: `Ask ${NAME} about the launch` }]);
    });

    it("keeps the login history anonymous and records the deletion by pseudonym only", async () => {
      const rows = await instance.services.control.selectFrom("security_log").selectAll().where("user_id", "=", zebId).execute();
      expect(rows.length).toBeGreaterThan(3);
      for (const r of rows) expect([r.email, r.ip, r.user_agent]).toEqual([null, null, null]);
      const deleted = rows.filter((r) => r.event === "account.deleted");
      expect(deleted.map((r) => JSON.parse(r.detail))).toEqual([{ pseudonym, by: "self" }]);
    });

    it("ends every way in: sessions, the old cookie, the password, tokens and memberships", async () => {
      const c = instance.services.control;
      for (const table of ["sessions", "api_tokens", "memberships", "email_tokens"] as const) {
        expect(await c.selectFrom(table).select("user_id").where("user_id", "=", zebId).execute()).toEqual([]);
      }
      expect(await c.selectFrom("invitations").select("id").where("email", "=", EMAIL).execute()).toEqual([]);
      const stale = new Client(instance.url);
      for (const pair of oldCookie.split("; ")) {
        const [k, ...v] = pair.split("=");
        stale.cookies.set(k!, v.join("="));
      }
      expect((await stale.query("account.sessions")).status).toBe(401);
      expect((await stale.query("clients.list", { org: "acme" })).status).toBe(401);
      const relogin = await login(EMAIL);
      expect(relogin.res.status).toBe(401);
      expect((await login(`${pseudonym}@deleted.invalid`)).res.status).toBe(401);
      expect((await zeb.query("orgs.mine")).status).toBe(401);
    });

    it("leaves the organisations working for everyone else", async () => {
      expect((await bart.client.query("comments.list", { org: "acme", taskId: acmeTask })).status).toBe(200);
      expect((await alice.client.query("clients.list", { org: "zeb-studio" })).status).toBe(200);
    });
  });
});
