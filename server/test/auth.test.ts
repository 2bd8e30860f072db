import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../auth/tokens";
import { purgeExpired } from "../jobs/purge-expired";
import { Client } from "./support/client";
import { STRONG_PASSWORD, uniqueEmail, verifiedUser } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";

let instance: Instance;
beforeAll(async () => {
  instance = await startInstance();
});
afterAll(() => instance.stop());

async function securityEvents(email: string) {
  const rows = await instance.services.control
    .selectFrom("security_log")
    .select(["event", "ip", "user_agent"])
    .where("email", "=", email)
    .execute();
  return rows;
}

describe("sign-up, verification, login, logout", () => {
  it("signs up, mails a working confirmation link, and only then lets the user create an organisation", async () => {
    const client = new Client(instance.url);
    const email = uniqueEmail("signup");
    const signup = await client.mutate("auth.signup", { name: "Ada", email, password: STRONG_PASSWORD });
    expect(signup.status).toBe(200);
    expect(client.cookies.size).toBe(1);

    const before = await client.mutate("orgs.create", { name: "Too Early", slug: "too-early" });
    expect(before.status).toBe(403);
    expect(before.error?.message).toMatch(/confirm your email/i);

    const link = instance.smtp.linkFor(email, "/verify");
    const token = new URL(link).searchParams.get("token");
    expect((await client.mutate("auth.verifyEmail", { token })).status).toBe(200);
    // The link is single-use.
    expect((await client.mutate("auth.verifyEmail", { token })).status).toBe(400);

    const after = await client.mutate("orgs.create", { name: "On Time", slug: `on-time-${process.pid}` });
    expect(after.status).toBe(200);
    const status = await client.query("auth.status");
    expect(status.data.viewer).toMatchObject({ email, emailVerified: true, isStaff: false });
  });

  it("refuses a duplicate email whatever its case", async () => {
    const email = uniqueEmail("dup");
    await verifiedUser(instance, "First", email);
    const again = await new Client(instance.url).mutate("auth.signup", {
      name: "Second",
      email: email.toUpperCase(),
      password: STRONG_PASSWORD,
    });
    expect(again.status).toBe(409);
  });

  it("logs in with the right password, refuses the wrong one, and logs out", async () => {
    const { email } = await verifiedUser(instance);
    const client = new Client(instance.url);
    const wrong = await client.mutate("auth.login", { email, password: "not-the-password-at-all" });
    expect(wrong.status).toBe(401);
    expect(wrong.error?.message).toBe("That email and password do not match an account.");
    expect(client.cookies.size).toBe(0);

    const ok = await client.mutate("auth.login", { email: email.toUpperCase(), password: STRONG_PASSWORD });
    expect(ok.status).toBe(200);
    expect((await client.query("orgs.mine")).status).toBe(200);

    const cookieBefore = client.cookieHeader();
    expect((await client.mutate("auth.logout")).status).toBe(200);
    expect(client.cookies.size).toBe(0);
    const replay = new Client(instance.url);
    const [name, value] = cookieBefore.split("=");
    replay.cookies.set(name!, value!);
    expect((await replay.query("orgs.mine")).status).toBe(401);

    const events = (await securityEvents(email)).map((e) => e.event);
    expect(events).toEqual(expect.arrayContaining(["login.failure", "login.success", "signup"]));
    const failure = (await securityEvents(email)).find((e) => e.event === "login.failure");
    expect(failure?.ip).toBe("127.0.0.1");
    expect(failure?.user_agent).toBeTruthy();
  });

  it("gives the same answer for an unknown email as for a wrong password", async () => {
    const res = await new Client(instance.url).mutate("auth.login", { email: uniqueEmail("nobody"), password: STRONG_PASSWORD });
    expect(res.status).toBe(401);
    expect(res.error?.message).toBe("That email and password do not match an account.");
  });
});

describe("session cookies", () => {
  it("stores only the SHA-256 of the session id", async () => {
    const { client } = await verifiedUser(instance);
    const [, raw] = client.cookieHeader().split("=");
    const rows = await instance.services.control.selectFrom("sessions").select("id").execute();
    expect(rows.some((r) => r.id === raw)).toBe(false);
    expect(rows.some((r) => r.id === sha256Hex(raw!))).toBe(true);
  });

  it("sets HttpOnly and SameSite=Lax, and refuses forged cookies with a blank one", async () => {
    const client = new Client(instance.url);
    const res = await client.mutate("auth.signup", { name: "Cookie", email: uniqueEmail("cookie"), password: STRONG_PASSWORD });
    const cookie = res.setCookies[0]!;
    expect(cookie).toMatch(/^opslayer_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i);

    const forged = new Client(instance.url);
    forged.cookies.set("opslayer_session", "a".repeat(40));
    const denied = await forged.query("account.sessions");
    expect(denied.status).toBe(401);
    expect(denied.setCookies[0]).toMatch(/opslayer_session=;.*Max-Age=0/i);
  });

  it("refuses an idle-expired session", async () => {
    const { client } = await verifiedUser(instance);
    const [, raw] = client.cookieHeader().split("=");
    await instance.services.control
      .updateTable("sessions")
      .set({ expires_at: Date.now() - 1000 })
      .where("id", "=", sha256Hex(raw!))
      .execute();
    expect((await client.query("orgs.mine")).status).toBe(401);
  });

  it("refuses a session past its absolute lifetime even while it is still being used", async () => {
    const { client } = await verifiedUser(instance);
    const [, raw] = client.cookieHeader().split("=");
    expect((await client.query("orgs.mine")).status).toBe(200);
    instance.clock.advance(instance.services.config.sessionAbsoluteMs + 1000);
    try {
      expect((await client.query("orgs.mine")).status).toBe(401);
      const left = await instance.services.control.selectFrom("sessions").select("id").where("id", "=", sha256Hex(raw!)).execute();
      expect(left).toHaveLength(0);
    } finally {
      instance.clock.advance(-(instance.services.config.sessionAbsoluteMs + 1000));
    }
  });

  it("renews the cookie once half the idle window has passed", async () => {
    const { client } = await verifiedUser(instance);
    const [, raw] = client.cookieHeader().split("=");
    const halfGone = Date.now() + instance.services.config.sessionIdleMs * 0.4;
    await instance.services.control.updateTable("sessions").set({ expires_at: halfGone }).where("id", "=", sha256Hex(raw!)).execute();
    const res = await client.query("orgs.mine");
    expect(res.status).toBe(200);
    expect(res.setCookies[0]).toMatch(/^opslayer_session=/);
    const row = await instance.services.control
      .selectFrom("sessions")
      .select("expires_at")
      .where("id", "=", sha256Hex(raw!))
      .executeTakeFirstOrThrow();
    expect(row.expires_at).toBeGreaterThan(halfGone + 1000);
  });

  it("records when a session was last seen, at most every five minutes", async () => {
    const { client } = await verifiedUser(instance);
    const [, raw] = client.cookieHeader().split("=");
    const seen = async () =>
      (
        await instance.services.control
          .selectFrom("sessions")
          .select("last_seen_at")
          .where("id", "=", sha256Hex(raw!))
          .executeTakeFirstOrThrow()
      ).last_seen_at;
    const first = await seen();
    await client.query("orgs.mine");
    expect(await seen()).toBe(first);
    instance.clock.advance(6 * 60_000);
    try {
      await client.query("orgs.mine");
      expect(await seen()).toBe(instance.clock.now());
    } finally {
      instance.clock.advance(-6 * 60_000);
    }
  });

  it("purges expired sessions and tokens, and only those", async () => {
    const { client, email } = await verifiedUser(instance);
    await new Client(instance.url).mutate("auth.requestPasswordReset", { email });
    const [, raw] = client.cookieHeader().split("=");
    const control = instance.services.control;
    await control.updateTable("sessions").set({ expires_at: 1 }).where("id", "=", sha256Hex(raw!)).execute();
    const live = Number((await control.selectFrom("sessions").select(control.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
    const purged = await purgeExpired(control, instance.clock.now() + 2 * 3_600_000);
    expect(purged.sessions).toBe(1);
    expect(purged.tokens).toBeGreaterThanOrEqual(1);
    const after = Number((await control.selectFrom("sessions").select(control.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
    expect(after).toBe(live - 1);
  });

  it("lists own sessions and revokes one by its handle, but not another user's", async () => {
    const { client, email } = await verifiedUser(instance);
    const second = new Client(instance.url);
    expect((await second.mutate("auth.login", { email, password: STRONG_PASSWORD })).status).toBe(200);
    const list = await client.query("account.sessions");
    expect(list.data).toHaveLength(2);
    const other = list.data.find((s: { current: boolean }) => !s.current);

    const stranger = await verifiedUser(instance);
    expect((await stranger.client.mutate("account.revokeSession", { id: other.id })).status).toBe(404);
    expect((await second.query("orgs.mine")).status).toBe(200);

    expect((await client.mutate("account.revokeSession", { id: other.id })).status).toBe(200);
    expect((await second.query("orgs.mine")).status).toBe(401);
    expect((await client.query("orgs.mine")).status).toBe(200);
  });
});

describe("passwords", () => {
  const cases: [string, string, RegExp][] = [
    ["too short", "short-pw-1", /at least 12/],
    ["too long", "x".repeat(129), /at most 128/],
    ["common", "password1234", /common|too easy/i],
    ["keyboard walk", "qwertyuiop12", /common|too easy/i],
    ["contains the email", "EMAILNAME-plus-violet-9", /email/i],
  ];
  for (const [label, password, message] of cases) {
    it(`refuses a password that is ${label}`, async () => {
      const res = await new Client(instance.url).mutate("auth.signup", {
        name: "Pat",
        email: `emailname@${label.replace(/ /g, "-")}.example.test`,
        password,
      });
      expect(res.status).toBe(400);
      expect(res.error?.message).toMatch(message);
      const user = await instance.services.control
        .selectFrom("users")
        .select("id")
        .where("email", "=", `emailname@${label.replace(/ /g, "-")}.example.test`)
        .executeTakeFirst();
      expect(user).toBeUndefined();
    });
  }

  it("accepts a long passphrase and 128 characters exactly", async () => {
    expect(
      (
        await new Client(instance.url).mutate("auth.signup", {
          name: "Lee",
          email: uniqueEmail(),
          password: "correct horse battery staple",
        })
      ).status,
    ).toBe(200);
    const long = "maple-quartz-orbit-lantern-".repeat(5).slice(0, 127) + "9";
    expect(long).toHaveLength(128);
    expect((await new Client(instance.url).mutate("auth.signup", { name: "Lee", email: uniqueEmail(), password: long })).status).toBe(200);
  });

  it("hashes with argon2id at m=19456, t=2, p=1", async () => {
    const { email } = await verifiedUser(instance);
    const row = await instance.services.control
      .selectFrom("users")
      .select("password_hash")
      .where("email", "=", email)
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it("changing the password ends every other session and keeps this one", async () => {
    const { client, email } = await verifiedUser(instance);
    const other = new Client(instance.url);
    await other.mutate("auth.login", { email, password: STRONG_PASSWORD });
    const wrongCurrent = await client.mutate("account.changePassword", {
      currentPassword: "not-my-password-1",
      newPassword: "amber-lantern-quiver-42",
    });
    expect(wrongCurrent.status).toBe(400);
    const weak = await client.mutate("account.changePassword", { currentPassword: STRONG_PASSWORD, newPassword: "password" });
    expect(weak.status).toBe(400);
    expect((await other.query("orgs.mine")).status).toBe(200);

    const changed = await client.mutate("account.changePassword", {
      currentPassword: STRONG_PASSWORD,
      newPassword: "amber-lantern-quiver-42",
    });
    expect(changed.status).toBe(200);
    expect((await other.query("orgs.mine")).status).toBe(401);
    expect((await client.query("orgs.mine")).status).toBe(200);
    expect((await new Client(instance.url).mutate("auth.login", { email, password: STRONG_PASSWORD })).status).toBe(401);
    expect((await new Client(instance.url).mutate("auth.login", { email, password: "amber-lantern-quiver-42" })).status).toBe(200);
  });

  it("resets a forgotten password by emailed link, once, and signs out everywhere", async () => {
    const { client, email } = await verifiedUser(instance);
    const anonymous = new Client(instance.url);
    expect((await anonymous.mutate("auth.requestPasswordReset", { email: email.toUpperCase() })).status).toBe(200);
    const unknown = await anonymous.mutate("auth.requestPasswordReset", { email: uniqueEmail("ghost") });
    expect(unknown.status).toBe(200);

    const token = new URL(instance.smtp.linkFor(email, "/reset")).searchParams.get("token");
    const weak = await anonymous.mutate("auth.resetPassword", { token, password: "short" });
    expect(weak.status).toBe(400);
    // A refused password does not burn the link.
    expect((await anonymous.mutate("auth.resetPassword", { token, password: "silver-meadow-compass-17" })).status).toBe(200);
    expect((await anonymous.mutate("auth.resetPassword", { token, password: "silver-meadow-compass-18" })).status).toBe(400);
    expect((await client.query("orgs.mine")).status).toBe(401);
    expect((await new Client(instance.url).mutate("auth.login", { email, password: "silver-meadow-compass-17" })).status).toBe(200);
  });

  it("refuses an expired reset link", async () => {
    const { email } = await verifiedUser(instance);
    const anonymous = new Client(instance.url);
    await anonymous.mutate("auth.requestPasswordReset", { email });
    const token = new URL(instance.smtp.linkFor(email, "/reset")).searchParams.get("token");
    instance.clock.advance(61 * 60_000);
    try {
      const res = await anonymous.mutate("auth.resetPassword", { token, password: "silver-meadow-compass-19" });
      expect(res.status).toBe(400);
      expect(res.error?.message).toMatch(/expired/);
    } finally {
      instance.clock.advance(-61 * 60_000);
    }
  });
});
