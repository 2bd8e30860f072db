import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config";
import { runTsx } from "./test/support/run-tsx";

describe("configuration", () => {
  it("has working defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, synchronous: "FULL", tenantPoolSize: 64, secureCookies: false, smtpUrl: null });
    expect(c).toMatchObject({ shutdownGraceMs: 5000, metricsToken: null });
    expect(c.dataDir).toMatch(/\/data$/);
    expect(c.sessionAbsoluteMs).toBeGreaterThan(c.sessionIdleMs);
  });

  it.each([
    [{ PORT: "abc" }, /PORT/],
    [{ PORT: "70000" }, /PORT/],
    [{ SQLITE_SYNCHRONOUS: "OFF" }, /SQLITE_SYNCHRONOUS/],
    [{ SMTP_URL: "http://mail" }, /SMTP_URL/],
    [{ APP_URL: "not a url" }, /APP_URL/],
    [{ TENANT_POOL_SIZE: "0" }, /TENANT_POOL_SIZE/],
    [{ SESSION_IDLE_HOURS: "48", SESSION_ABSOLUTE_HOURS: "24" }, /SESSION_ABSOLUTE_HOURS/],
    [{ MASTER_KEY: "c2hvcnQ=" }, /MASTER_KEY/],
    [{ NEW_MASTER_KEY: "not-a-key" }, /NEW_MASTER_KEY/],
    [{ SHUTDOWN_GRACE_SECONDS: "-1" }, /SHUTDOWN_GRACE_SECONDS/],
    [{ METRICS_TOKEN: "short" }, /METRICS_TOKEN/],
    [{ MASTER_KEY: Buffer.alloc(32, 1).toString("base64"), MASTER_KEY_FILE: "/x/master.key" }, /MASTER_KEY_FILE/],
  ])("refuses %j with a message naming the setting", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("never echoes a master key in its message", () => {
    const key = Buffer.alloc(31, 7).toString("base64");
    expect(() => loadConfig({ MASTER_KEY: key })).toThrow(/MASTER_KEY: must be the base64 encoding of exactly 32 bytes/);
    try {
      loadConfig({ MASTER_KEY: key });
    } catch (error) {
      expect(String(error)).not.toContain(key);
    }
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ PORT: "" }).port).toBe(3000);
  });

  it("marks cookies secure when APP_URL is https", () => {
    expect(loadConfig({ APP_URL: "https://ops.example.com/" })).toMatchObject({ secureCookies: true, appUrl: "https://ops.example.com" });
  });

  it("makes the server exit with code 78 and a readable message on a bad value", async () => {
    const run = await runTsx("server/main.ts", [], { env: { ...process.env, PORT: "banana" }, timeoutMs: 30_000 });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain("Invalid configuration");
    expect(run.stderr).toContain("PORT");
  });
});
