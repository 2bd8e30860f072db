import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { createUser } from "../auth/accounts";
import { loadConfig } from "../config";
import { generateMasterKeyBase64 } from "../crypto/keys";
import { createServices } from "../services";
import { createGrant } from "../support/grants";
import { createTenant } from "../tenants/create-tenant";

const dataDir = mkdtempSync(join(tmpdir(), "opslayer-cli-"));
const keyFile = join(dataDir, "secrets", "master.key");
const env = { DATA_DIR: dataDir, MASTER_KEY_FILE: keyFile };
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function cli(args: string[], input?: string, extraEnv: Record<string, string> = {}) {
  return spawnSync("npx", ["tsx", "server/cli/main.ts", ...args], { env: { ...process.env, ...env, ...extraEnv }, input, encoding: "utf8", timeout: 60_000 });
}

describe("operator CLI", () => {
  it("creates a verified staff user, refusing a weak password", () => {
    const weak = cli(["create-staff", "--email", "ops@example.test", "--name", "Ops", "--password-stdin"], "password\n");
    expect(weak.status).toBe(1);
    expect(weak.stderr).toMatch(/at least 12/);

    const ok = cli(["create-staff", "--email", "Ops@Example.test", "--name", "Ops", "--password-stdin"], "garden-ladder-violin-77\n");
    expect(ok.stdout).toContain("Created staff user ops@example.test");
    const db = new Database(join(dataDir, "control.sqlite"), { readonly: true });
    const row = db.prepare("select is_staff, email_verified_at from users where email = ?").get("ops@example.test") as { is_staff: number; email_verified_at: number };
    db.close();
    expect(row.is_staff).toBe(1);
    expect(row.email_verified_at).toBeGreaterThan(0);
  });

  it("lists organisations and migrates all of them", async () => {
    const services = await createServices(loadConfig(env), { log: () => {} });
    const owner = await createUser(services, { name: "Owner", email: "owner@example.test", password: "garden-ladder-violin-78", isStaff: false, verified: true });
    const info = { ip: "127.0.0.1", userAgent: "cli-test" };
    await createTenant(services, owner, { name: "Zeta Agency", slug: "zeta" }, info);
    await createTenant(services, owner, { name: "Eta Studio", slug: "eta" }, info);
    await services.close();

    const list = cli(["list-orgs", "--json"]);
    expect(list.status).toBe(0);
    expect(JSON.parse(list.stdout).map((o: { slug: string; status: string }) => [o.slug, o.status])).toEqual([
      ["eta", "active"],
      ["zeta", "active"],
    ]);
    const migrate = cli(["migrate", "--all"]);
    expect(migrate.status).toBe(0);
    expect(migrate.stdout).toContain("Migrated 2 of 2 organisations.");
  });

  it("lists support grants and revokes one", async () => {
    const services = await createServices(loadConfig(env), { log: () => {} });
    const tenant = await services.control.selectFrom("tenants").select("id").where("slug", "=", "zeta").executeTakeFirstOrThrow();
    const owner = await services.control.selectFrom("users").select("id").where("email", "=", "owner@example.test").executeTakeFirstOrThrow();
    const { grant } = await createGrant(services, tenant.id, owner.id, { scope: "read", hours: 2, reason: "CLI check" }, { ip: "127.0.0.1", userAgent: null });
    await services.close();

    const listed = cli(["grants", "list", "--active", "--json"]);
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id: grant.id, slug: "zeta", scope: "read", state: "waiting", reason: "CLI check" })]);
    const revoked = cli(["grants", "revoke", grant.id]);
    expect(revoked.stdout).toContain(`Revoked ${grant.id}.`);
    expect(JSON.parse(cli(["grants", "list", "--active", "--json"]).stdout)).toEqual([]);
    expect(JSON.parse(cli(["grants", "list", "--json"]).stdout)[0]).toMatchObject({ id: grant.id, state: "revoked" });
    expect(cli(["grants", "revoke", "gnosuchgrantxxxxxxxxxxxxxx"]).status).toBe(1);
  });

  it("rotates the master key: data keys rewrapped, every organisation readable with the new key only", async () => {
    const before = await createServices(loadConfig(env), { log: () => {} });
    const tenants = await before.control.selectFrom("tenants").select("id").orderBy("id").execute();
    const sealed = await Promise.all(tenants.map((t) => before.keys.seal({ org: t.id, table: "integrations", row: "i1", field: "token" }, `token-${t.id}`)));
    const oldKek = before.keys.master;
    await before.close();

    expect(cli(["rotate-master-key"]).status).toBe(1); // no new key given
    const newKeyFile = join(dataDir, "secrets", "master-2.key");
    const rotated = cli(["rotate-master-key", "--new-key-file", newKeyFile]);
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toContain(`Rewrapped ${tenants.length} organisation data keys from master key ${oldKek.hex}`);
    expect(rotated.stdout).toContain(`MASTER_KEY_FILE=${newKeyFile}`);
    expect(statSync(newKeyFile).mode & 0o777).toBe(0o600);

    // The old key no longer unwraps (the server would refuse to serve data with it) ...
    const stale = await createServices(loadConfig(env), { log: () => {} });
    await expect(stale.keys.dataKeyFor(tenants[0]!.id)).rejects.toThrow(/wrapped by master key/);
    await stale.close();
    // ... a rerun with the old key as current fails without changes, and the new key reads everything.
    expect(cli(["rotate-master-key"], undefined, { NEW_MASTER_KEY: generateMasterKeyBase64() }).status).toBe(1);
    const after = await createServices(loadConfig({ ...env, MASTER_KEY_FILE: newKeyFile }), { log: () => {} });
    for (const [i, t] of tenants.entries()) {
      expect((await after.keys.open({ org: t.id, table: "integrations", row: "i1", field: "token" }, sealed[i]!)).toString()).toBe(`token-${t.id}`);
    }
    await after.close();
  });

  it("exits 78 naming MASTER_KEY_FILE when the key file is readable by others", () => {
    const loose = join(dataDir, "loose.key");
    writeFileSync(loose, `${generateMasterKeyBase64()}\n`);
    chmodSync(loose, 0o644);
    const res = cli(["list-orgs"], undefined, { MASTER_KEY_FILE: loose });
    expect(res.status).toBe(78);
    expect(res.stderr).toContain("MASTER_KEY_FILE");
    expect(cli(["list-orgs"], undefined, { MASTER_KEY_FILE: "", MASTER_KEY: "bad" }).status).toBe(78);
  });

  it("prints usage and exits 64 for an unknown command", () => {
    const res = cli(["frobnicate"]);
    expect(res.status).toBe(64);
    expect(res.stdout).toContain("create-staff");
  });
});
