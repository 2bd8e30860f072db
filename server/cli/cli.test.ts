import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
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
import { runTsx } from "../test/support/run-tsx";

const dataDir = mkdtempSync(join(tmpdir(), "opslayer-cli-"));
const keyFile = join(dataDir, "secrets", "master.key");
const env = { DATA_DIR: dataDir, MASTER_KEY_FILE: keyFile };
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function cli(args: string[], input?: string, extraEnv: Record<string, string> = {}) {
  return runTsx("server/cli/main.ts", args, { env: { ...process.env, ...env, ...extraEnv }, input });
}

// Each case starts the CLI as its own tsx process several times: seconds each on a loaded 2-core machine.
describe("operator CLI", { timeout: 120_000 }, () => {
  it("creates a verified staff user, refusing a weak password", async () => {
    const weak = await cli(["user", "create-staff", "--email", "ops@example.test", "--name", "Ops", "--password-stdin"], "password\n");
    expect(weak.status).toBe(1);
    expect(weak.stderr).toMatch(/at least 12/);

    const ok = await cli(
      ["user", "create-staff", "--email", "Ops@Example.test", "--name", "Ops", "--password-stdin"],
      "garden-ladder-violin-77\n",
    );
    expect(ok.stdout).toContain("Created staff user ops@example.test");
    const db = new Database(join(dataDir, "control.sqlite"), { readonly: true });
    const row = db.prepare("select is_staff, email_verified_at from users where email = ?").get("ops@example.test") as {
      is_staff: number;
      email_verified_at: number;
    };
    db.close();
    expect(row.is_staff).toBe(1);
    expect(row.email_verified_at).toBeGreaterThan(0);
  });

  it("lists organisations and migrates all of them", async () => {
    const services = await createServices(loadConfig(env), { log: () => {} });
    const owner = await createUser(services, {
      name: "Owner",
      email: "owner@example.test",
      password: "garden-ladder-violin-78",
      isStaff: false,
      verified: true,
    });
    const info = { ip: "127.0.0.1", userAgent: "cli-test" };
    await createTenant(services, owner, { name: "Zeta Agency", slug: "zeta" }, info);
    await createTenant(services, owner, { name: "Eta Studio", slug: "eta" }, info);
    await services.close();

    const list = await cli(["tenant", "list", "--json"]);
    expect(list.status).toBe(0);
    expect(JSON.parse(list.stdout).map((o: { slug: string; status: string }) => [o.slug, o.status])).toEqual([
      ["eta", "active"],
      ["zeta", "active"],
    ]);
    const migrate = await cli(["migrate", "--all"]);
    expect(migrate.status).toBe(0);
    expect(migrate.stdout).toContain("Migrated 0, 2 already current, 0 failed of 2 organisations.");
  });

  it("lists support grants and revokes one", async () => {
    const services = await createServices(loadConfig(env), { log: () => {} });
    const tenant = await services.control.selectFrom("tenants").select("id").where("slug", "=", "zeta").executeTakeFirstOrThrow();
    const owner = await services.control
      .selectFrom("users")
      .select("id")
      .where("email", "=", "owner@example.test")
      .executeTakeFirstOrThrow();
    const { grant } = await createGrant(
      services,
      tenant.id,
      owner.id,
      { scope: "read", hours: 2, reason: "CLI check" },
      { ip: "127.0.0.1", userAgent: null },
    );
    await services.close();

    const listed = await cli(["grants", "list", "--active", "--json"]);
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ id: grant.id, slug: "zeta", scope: "read", state: "waiting", reason: "CLI check" }),
    ]);
    const revoked = await cli(["grants", "revoke", grant.id]);
    expect(revoked.stdout).toContain(`Revoked ${grant.id}.`);
    expect(JSON.parse((await cli(["grants", "list", "--active", "--json"])).stdout)).toEqual([]);
    expect(JSON.parse((await cli(["grants", "list", "--json"])).stdout)[0]).toMatchObject({ id: grant.id, state: "revoked" });
    expect((await cli(["grants", "revoke", "gnosuchgrantxxxxxxxxxxxxxx"])).status).toBe(1);
  });

  it("rotates the master key: data keys rewrapped, every organisation readable once the new key is current", async () => {
    const before = await createServices(loadConfig(env), { log: () => {} });
    const tenants = await before.control.selectFrom("tenants").select("id").orderBy("id").execute();
    const sealed = await Promise.all(
      tenants.map((t) => before.keys.seal({ org: t.id, table: "integrations", row: "i1", field: "token" }, `token-${t.id}`)),
    );
    const oldKek = before.keys.master;
    await before.close();

    // Without a new key it rewraps onto the current one: nothing to do here.
    const idle = await cli(["rotate-master-key"]);
    expect(idle.status).toBe(0);
    expect(idle.stdout).toContain(`Rewrapped 0 organisation data keys to master key ${oldKek.hex}; ${tenants.length} already were.`);
    const newKeyFile = join(dataDir, "secrets", "master-2.key");
    const rotated = await cli(["rotate-master-key", "--new-key-file", newKeyFile]);
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toContain(`Rewrapped ${tenants.length} organisation data keys to master key`);
    expect(rotated.stdout).toContain(`MASTER_KEY_FILE=${newKeyFile}`);
    expect(rotated.stdout).toContain(`MASTER_KEY_PREVIOUS_FILE=${keyFile}`);
    expect(statSync(newKeyFile).mode & 0o777).toBe(0o600);

    // The old key alone no longer starts: it names the key the data keys need.
    const stale = await cli(["tenant", "list"]);
    expect(stale.status).toBe(78);
    expect(stale.stderr).toMatch(/master key [0-9a-f]{16} is not loaded/);
    // A rerun with a ring that lacks the wrapping key fails; the new key reads everything.
    expect((await cli(["rotate-master-key"], undefined, { NEW_MASTER_KEY: generateMasterKeyBase64() })).status).toBe(78);
    const after = await createServices(loadConfig({ ...env, MASTER_KEY_FILE: newKeyFile }), { log: () => {} });
    for (const [i, t] of tenants.entries()) {
      expect((await after.keys.open({ org: t.id, table: "integrations", row: "i1", field: "token" }, sealed[i]!)).toString()).toBe(
        `token-${t.id}`,
      );
    }
    await after.close();
    // Back onto the original key, so the later cases (which start with MASTER_KEY_FILE) pass the start-up check.
    const back = await cli(["rotate-master-key", "--new-key-file", keyFile], undefined, { MASTER_KEY_FILE: newKeyFile });
    expect(back.status).toBe(0);
  });

  it("exits 78 naming MASTER_KEY_FILE when the key file is readable by others", async () => {
    const loose = join(dataDir, "loose.key");
    writeFileSync(loose, `${generateMasterKeyBase64()}\n`);
    chmodSync(loose, 0o644);
    const res = await cli(["tenant", "list"], undefined, { MASTER_KEY_FILE: loose });
    expect(res.status).toBe(78);
    expect(res.stderr).toContain("MASTER_KEY_FILE");
    expect((await cli(["tenant", "list"], undefined, { MASTER_KEY_FILE: "", MASTER_KEY: "bad" })).status).toBe(78);
  });

  it("runs as the package bin, so npx opslayer works", async () => {
    const help = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, ["scripts/opslayer.mjs", "--help"], { env: { ...process.env, ...env } });
      let stdout = "";
      child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
      child.on("close", (status) => resolve({ status, stdout }));
    });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("npx opslayer <command>");
    expect(JSON.parse(readFileSync("package.json", "utf8")).bin).toEqual({ opslayer: "scripts/opslayer.mjs" });
  });

  it("prints usage and exits 64 for an unknown command", async () => {
    const res = await cli(["frobnicate"]);
    expect(res.status).toBe(64);
    expect(res.stdout).toContain("tenant");
    expect(res.stdout).toContain("backup");
  });

  it("answers --help for every command and sub-command, and exits 64 on unknown options", async () => {
    for (const args of [
      ["tenant", "close", "--help"],
      ["user", "reset-password", "--help"],
      ["backup", "--help"],
      ["restore", "--help"],
      ["export", "--help"],
      ["import", "--help"],
      ["purge", "--help"],
      ["migrate", "--help"],
    ]) {
      const res = await cli(args);
      expect(res.status, args.join(" ")).toBe(0);
      expect(res.stdout, args.join(" ")).toContain("npm run cli --");
    }
    expect((await cli(["tenant", "list", "--colour"])).status).toBe(64);
    expect((await cli(["tenant", "frobnicate"])).status).toBe(64);
    expect((await cli(["tenant", "close", "zeta"])).status).toBe(64); // no --yes
    expect((await cli(["tenant", "create", "--slug", "Bad Slug!", "--name", "X", "--owner", "owner@example.test"])).status).toBe(64);
  }, 180_000);

  it("closes and restores an organisation, creates one for an existing owner, resets a password and deletes an account", async () => {
    const created = await cli(["tenant", "create", "--slug", "theta", "--name", "Theta", "--owner", "owner@example.test"]);
    expect(created.status, created.stderr).toBe(0);
    expect((await cli(["tenant", "create", "--slug", "theta", "--name", "Again", "--owner", "owner@example.test"])).stderr).toContain(
      "That address is taken",
    );
    expect((await cli(["tenant", "create", "--slug", "iota", "--name", "Iota", "--owner", "ops@example.test"])).stderr).toContain("staff");

    const closed = await cli(["tenant", "close", "theta", "--yes"]);
    expect(closed.status, closed.stderr).toBe(0);
    expect(closed.stdout).toMatch(/Closed theta; its data will be destroyed after \d{4}-/);
    const listed = JSON.parse((await cli(["tenant", "list", "--json"])).stdout) as { slug: string; status: string }[];
    expect(listed.find((t) => t.slug === "theta")?.status).toBe("closed");
    expect((await cli(["tenant", "restore", "theta"])).status).toBe(0);
    expect(
      (JSON.parse((await cli(["tenant", "list", "--json"])).stdout) as { slug: string; status: string }[]).find((t) => t.slug === "theta")
        ?.status,
    ).toBe("active");
    expect((await cli(["tenant", "restore", "nosuchorg"])).status).toBe(1);

    const services = await createServices(loadConfig(env), { log: () => {} });
    const member = await createUser(services, {
      name: "Leaving Person",
      email: "leaving@example.test",
      password: "garden-ladder-violin-79",
      isStaff: false,
      verified: true,
    });
    await services.close();
    expect((await cli(["user", "reset-password", "--email", "leaving@example.test", "--password-stdin"], "short\n")).status).toBe(1);
    const reset = await cli(
      ["user", "reset-password", "--email", "leaving@example.test", "--password-stdin"],
      "another-garden-ladder-80\n",
    );
    expect(reset.status, reset.stderr).toBe(0);
    expect((await cli(["user", "reset-password", "--email", "leaving@example.test", "--send-link"])).stderr).toContain("APP_URL");

    // The last owner of organisations cannot be deleted; a plain account can.
    const refused = await cli(["user", "delete", "--email", "owner@example.test", "--yes"]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/last owner/i);
    const deleted = await cli(["user", "delete", "--email", "leaving@example.test", "--yes"]);
    expect(deleted.status, deleted.stderr).toBe(0);
    expect(deleted.stdout).toMatch(/records now show as deleted-user-[0-9a-f]{4}/);
    const db = new Database(join(dataDir, "control.sqlite"), { readonly: true });
    const row = db.prepare("select email, name, deleted_at from users where id = ?").get(member.id) as {
      email: string;
      name: string;
      deleted_at: number;
    };
    db.close();
    expect(row.email).not.toContain("leaving");
    expect(row.name).toMatch(/^deleted-user-/);
    expect(row.deleted_at).toBeGreaterThan(0);
    expect((await cli(["user", "delete", "--email", "leaving@example.test", "--yes"])).status).toBe(1);
  }, 180_000);
});
