import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "./support/client";
import { STRONG_PASSWORD, uniqueEmail, verifiedUser } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";

let instance: Instance;
beforeAll(async () => {
  instance = await startInstance({ LOGIN_MAX_FAILURES: "5" });
});
afterAll(() => instance.stop());

describe("login throttling", () => {
  it("backs off after 5 failures, even for the right password and a re-cased email, and lifts with time", async () => {
    const { email } = await verifiedUser(instance);
    const client = new Client(instance.url);
    for (let i = 0; i < 5; i++) {
      expect((await client.mutate("auth.login", { email, password: `wrong-password-${i}` })).status).toBe(401);
    }
    const blocked = await client.mutate("auth.login", { email: email.toUpperCase(), password: STRONG_PASSWORD });
    expect(blocked.status).toBe(429);
    expect(blocked.error?.message).toMatch(/Too many failed sign-in attempts\. Try again in \d+ seconds\./);
    expect(client.cookies.size).toBe(0);

    instance.clock.advance(31_000);
    expect((await client.mutate("auth.login", { email, password: STRONG_PASSWORD })).status).toBe(200);
    const events = await instance.services.control
      .selectFrom("security_log")
      .select(["event", "user_id"])
      .where("email", "=", email)
      .execute();
    const throttled = events.find((e) => e.event === "login.throttled");
    expect(throttled?.user_id).toMatch(/^u/);
  });

  it("doubles the wait with each further failure", async () => {
    const { email } = await verifiedUser(instance);
    const client = new Client(instance.url);
    for (let i = 0; i < 5; i++) await client.mutate("auth.login", { email, password: `wrong-password-${i}` });
    instance.clock.advance(31_000);
    await client.mutate("auth.login", { email, password: "wrong-again-123" });
    instance.clock.advance(31_000);
    // 30 s would have been enough after the 5th failure; after the 6th it is 60 s.
    expect((await client.mutate("auth.login", { email, password: STRONG_PASSWORD })).status).toBe(429);
    instance.clock.advance(30_000);
    expect((await client.mutate("auth.login", { email, password: STRONG_PASSWORD })).status).toBe(200);
  });
});

describe("cross-site request protection", () => {
  it("refuses a mutation without Origin, or from another origin", async () => {
    const { client } = await verifiedUser(instance);
    const none = await client.raw("POST", "/api/trpc/orgs.create", JSON.stringify({ name: "X", slug: "csrf-a" }), {
      "content-type": "application/json",
    });
    expect(none.status).toBe(403);
    const evil = await client.mutate("orgs.create", { name: "X", slug: "csrf-b" }, { origin: "https://evil.example" });
    expect(evil.status).toBe(403);
    const crossSite = await client.raw("POST", "/api/trpc/orgs.create", JSON.stringify({ name: "X", slug: "csrf-c" }), {
      "content-type": "application/json",
      "sec-fetch-site": "cross-site",
    });
    expect(crossSite.status).toBe(403);
    const made = await instance.services.control.selectFrom("tenants").select("slug").where("slug", "like", "csrf-%").execute();
    expect(made).toHaveLength(0);
  });

  it("accepts Sec-Fetch-Site: same-origin when Origin is absent", async () => {
    const { client } = await verifiedUser(instance);
    const res = await client.raw("POST", "/api/trpc/orgs.create", JSON.stringify({ name: "Same", slug: `same-${process.pid}` }), {
      "content-type": "application/json",
      "sec-fetch-site": "same-origin",
    });
    expect(res.status).toBe(200);
  });

  it("accepts tRPC mutations only as application/json", async () => {
    const { client } = await verifiedUser(instance);
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const res = await client.raw("POST", "/api/trpc/orgs.create", JSON.stringify({ name: "X", slug: "form-post" }), {
        "content-type": type,
        origin: instance.url,
      });
      expect(res.status).toBe(415);
    }
  });

  it("sends protective headers on every response", async () => {
    const res = await new Client(instance.url).raw("GET", "/api/trpc/auth.status");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  });
});

describe("cookies over https", () => {
  it("uses the __Host- prefix and Secure when APP_URL is https", async () => {
    const secure = await startInstance({ APP_URL: "https://ops.example.test" });
    try {
      const client = new Client(secure.url);
      const res = await client.mutate(
        "auth.signup",
        { name: "Sec", email: uniqueEmail("https"), password: STRONG_PASSWORD },
        { origin: "https://ops.example.test" },
      );
      expect(res.status).toBe(200);
      expect(res.setCookies[0]).toMatch(/^__Host-opslayer_session=/);
      expect(res.setCookies[0]).toMatch(/; Secure/i);
      expect(res.setCookies[0]).toMatch(/Path=\//);
      expect(res.setCookies[0]).not.toMatch(/Domain=/i);
    } finally {
      await secure.stop();
    }
  });
});

describe("per-IP throttling", () => {
  it("locks an IP that fails across many accounts, without locking those accounts elsewhere", async () => {
    const own = await startInstance({ LOGIN_MAX_FAILURES: "2" });
    try {
      const { email } = await verifiedUser(own);
      const client = new Client(own.url);
      // Per-IP limit is four times the per-account one: 8 failures over 8 different accounts.
      for (let i = 0; i < 8; i++) {
        expect((await client.mutate("auth.login", { email: uniqueEmail("spray"), password: "wrong-password-x" })).status).toBe(401);
      }
      expect((await client.mutate("auth.login", { email, password: STRONG_PASSWORD })).status).toBe(429);
      const throttle = own.services.throttle;
      expect(() => throttle.check(email, "10.9.9.9")).not.toThrow();
    } finally {
      await own.stop();
    }
  });
});
