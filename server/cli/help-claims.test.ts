import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenantFilePath } from "../../db/tenant/paths";
import { createUser } from "../auth/accounts";
import { ManualClock } from "../clock";
import { loadConfig } from "../config";
import { blobDir } from "../files/storage";
import { createServices } from "../services";
import { createGrant } from "../support/grants";
import { createTenant } from "../tenants/create-tenant";
import { closeOrganisation } from "../tenants/terminate";
import { runTsx, type ScriptRun } from "../test/support/run-tsx";
import type { Command } from "./command";
import { commands } from "./commands";

/**
 * Every command's --help makes promises; each row here quotes one (a pattern that must be in that
 * help text) and checks it against what the command does, run as an operator runs it. A help text
 * that changes its promise fails its row's first expectation; a command that breaks it, the second.
 * The last test fails when a command or sub-command has no row.
 */

const dataDir = mkdtempSync(join(tmpdir(), "opslayer-help-"));
const env = { DATA_DIR: dataDir, MASTER_KEY_FILE: join(dataDir, "secrets", "master.key") };
const DAY = 86_400_000;
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function cli(args: string[], extraEnv: Record<string, string> = {}, input?: string): Promise<ScriptRun> {
  return runTsx("server/cli/main.ts", args, { env: { ...process.env, ...env, ...extraEnv }, input, timeoutMs: 90_000 });
}

function control<T>(query: string, ...params: unknown[]): T | undefined {
  const db = new Database(join(dataDir, "control.sqlite"), { readonly: true });
  try {
    return db.prepare(query).get(...params) as T | undefined;
  } finally {
    db.close();
  }
}
const statusOf = (slug: string) => control<{ status: string }>("select status from tenants where slug = ?", slug)?.status;
const idOf = (slug: string) => control<{ id: string }>("select id from tenants where slug = ?", slug)!.id;

beforeAll(async () => {
  const services = await createServices(loadConfig(env), { log: () => {} });
  const owner = await createUser(services, {
    name: "Owner",
    email: "owner@example.test",
    password: "garden-ladder-violin-78",
    isStaff: false,
    verified: true,
  });
  await createUser(services, {
    name: "Ops",
    email: "staff@example.test",
    password: "garden-ladder-violin-79",
    isStaff: true,
    verified: true,
  });
  const info = { ip: "127.0.0.1", userAgent: "help-claims" };
  for (const slug of ["alpha", "expired", "graced"]) await createTenant(services, owner, { name: `Org ${slug}`, slug }, info);
  const grant = await createGrant(services, idOf("alpha"), owner.id, { scope: "read", hours: 2, reason: "help check" }, info);
  writeFileSync(join(dataDir, "grant-id"), grant.grant.id);
  await closeOrganisation(services, idOf("graced"), { userId: null }, info);
  await services.close();
  // Closed 40 days ago: its 30-day grace period is over.
  const past = await createServices(loadConfig(env), { log: () => {}, clock: new ManualClock(Date.now() - 40 * DAY) });
  await closeOrganisation(past, idOf("expired"), { userId: null }, info);
  await past.close();
}, 60_000);

interface Claim {
  /** The command line whose --help makes the promise. */
  command: string;
  promise: RegExp;
  check(): Promise<void>;
}

// In order: later rows rely on what earlier ones did (e.g. "expired" destroyed by purge).
const claims: Claim[] = [
  {
    command: "purge",
    promise: /--dry-run\s+lists the organisations step 1 would destroy and changes nothing/,
    async check() {
      const res = await cli(["purge", "--dry-run"]);
      expect(res.status, res.stderr).toBe(0);
      expect(res.stdout).toContain("expired");
      expect(res.stdout).not.toContain("graced");
      expect(res.stdout).toContain("1 organisation(s) would be destroyed");
      expect(statusOf("expired")).toBe("closed");
      expect(existsSync(tenantFilePath(dataDir, idOf("expired")))).toBe(true);
      expect(control("select 1 from job_runs")).toBeUndefined();
    },
  },
  {
    command: "purge",
    promise: /every organisation closed more than\s+ORG_GRACE_DAYS ago \(default 30\) is destroyed/,
    async check() {
      const res = await cli(["purge"]);
      expect(res.status, res.stderr).toBe(0);
      expect(res.stdout).toContain(`destroyed 1: ${idOf("expired")}`);
      expect(statusOf("expired")).toBe("purged");
      expect(existsSync(tenantFilePath(dataDir, idOf("expired")))).toBe(false);
      expect(statusOf("graced")).toBe("closed");
      expect(existsSync(tenantFilePath(dataDir, idOf("graced")))).toBe(true);
    },
  },
  {
    command: "purge",
    promise: /recorded in job_runs as\s+scheduled runs are \("terminated-orgs", then "retention"\)/,
    check() {
      const jobs = control<{ jobs: string }>(
        "select group_concat(job, ',') as jobs from (select job from job_runs where ok = 1 order by id)",
      );
      expect(jobs?.jobs).toBe("terminated-orgs,retention");
      return Promise.resolve();
    },
  },
  {
    command: "tenant list",
    promise: /--all adds the tombstones of destroyed ones/,
    async check() {
      const slugs = async (args: string[]) => (JSON.parse((await cli(args)).stdout) as { slug: string }[]).map((t) => t.slug);
      expect(await slugs(["tenant", "list", "--json"])).toEqual(["alpha", "graced"]);
      expect(await slugs(["tenant", "list", "--json", "--all"])).toEqual(["alpha", "expired", "graced"]);
    },
  },
  {
    command: "tenant restore",
    promise: /Only organisations closed less than ORG_GRACE_DAYS ago can be restored/,
    async check() {
      const gone = await cli(["tenant", "restore", "expired"]);
      expect(gone.status).toBe(1);
      const back = await cli(["tenant", "restore", "graced"]);
      expect(back.status, back.stderr).toBe(0);
      expect(statusOf("graced")).toBe("active");
    },
  },
  {
    command: "tenant close",
    promise: /destroyed after\s+ORG_GRACE_DAYS \(default 30\) by the scheduler or `purge`/,
    async check() {
      expect((await cli(["tenant", "close", "graced"])).status).toBe(64); // no --yes
      expect(statusOf("graced")).toBe("active");
      const closed = await cli(["tenant", "close", "graced", "--yes"], { ORG_GRACE_DAYS: "0" });
      expect(closed.status, closed.stderr).toBe(0);
      expect((await cli(["purge"])).status).toBe(0);
      expect(statusOf("graced")).toBe("purged");
    },
  },
  {
    command: "tenant create",
    promise: /The owner must be an existing, confirmed, non-staff account/,
    async check() {
      const staff = await cli(["tenant", "create", "--slug", "beta", "--name", "Beta", "--owner", "staff@example.test"]);
      expect(staff.status).toBe(1);
      expect((await cli(["tenant", "create", "--slug", "beta", "--name", "Beta", "--owner", "nobody@example.test"])).status).toBe(1);
      expect(statusOf("beta")).toBeUndefined();
      const ok = await cli(["tenant", "create", "--slug", "beta", "--name", "Beta", "--owner", "owner@example.test"]);
      expect(ok.status, ok.stderr).toBe(0);
      expect(statusOf("beta")).toBe("active");
    },
  },
  {
    command: "user create-staff",
    promise: /Staff accounts are verified at once and belong to no organisation/,
    async check() {
      const res = await cli(
        ["user", "create-staff", "--email", "ops2@example.test", "--name", "Ops", "--password-stdin"],
        {},
        "garden-ladder-violin-80\n",
      );
      expect(res.status, res.stderr).toBe(0);
      const row = control<{ is_staff: number; verified: number; n: number }>(
        "select is_staff, email_verified_at is not null as verified, (select count(*) from memberships where user_id = users.id) as n from users where email = ?",
        "ops2@example.test",
      );
      expect(row).toEqual({ is_staff: 1, verified: 1, n: 0 });
    },
  },
  {
    command: "user reset-password",
    promise: /--send-link\s+email the usual one-hour reset link \(needs APP_URL and SMTP_URL\)/,
    async check() {
      const res = await cli(["user", "reset-password", "--email", "owner@example.test", "--send-link"], { APP_URL: "" });
      expect(res.status).toBe(1);
      expect(res.stderr).toContain("APP_URL");
    },
  },
  {
    command: "user delete",
    promise: /Refused while the account is the last owner of an\s+organisation\. --yes confirms; nothing is asked interactively\./,
    async check() {
      expect((await cli(["user", "delete", "--email", "owner@example.test"])).status).toBe(64);
      const refused = await cli(["user", "delete", "--email", "owner@example.test", "--yes"]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/last owner/i);
      expect(control("select deleted_at from users where email = ?", "owner@example.test")).toEqual({ deleted_at: null });
    },
  },
  {
    command: "migrate",
    promise: /Up-to-date files are skipped/,
    async check() {
      expect((await cli(["migrate"])).status).toBe(64);
      const res = await cli(["migrate", "--all"]);
      expect(res.status, res.stderr).toBe(0);
      expect(res.stdout).toContain("Migrated 0, 2 already current, 0 failed of 2 organisations.");
    },
  },
  {
    command: "backup",
    promise: /a second one exits 1 naming the lock file BACKUP_DIR\/backup\.lock/,
    async check() {
      const lock = join(dataDir, "backups", "backup.lock");
      mkdirSync(join(dataDir, "backups"), { recursive: true });
      writeFileSync(
        lock,
        JSON.stringify({ pid: process.pid, host: (await import("node:os")).hostname(), at: new Date().toISOString(), token: "x" }),
      );
      const held = await cli(["backup"]);
      expect(held.status).toBe(1);
      expect(held.stderr).toContain(lock);
      rmSync(lock);
    },
  },
  {
    command: "backup",
    promise: /every active or closed organisation \(or\s+only --org\)/,
    async check() {
      const res = await cli(["backup", "--org", "alpha"]);
      expect(res.status, res.stderr).toBe(0);
      expect(existsSync(join(dataDir, "backups", "tenants", idOf("alpha")))).toBe(true);
      expect(existsSync(join(dataDir, "backups", "tenants", idOf("beta")))).toBe(false);
      expect(existsSync(join(dataDir, "backups", "control"))).toBe(true);
    },
  },
  {
    command: "restore",
    promise: /without it a restore that would overwrite one exits 73 and\s+changes nothing/,
    async check() {
      const before = readFileSync(tenantFilePath(dataDir, idOf("alpha")));
      const res = await cli(["restore", "--org", "alpha"]);
      expect(res.status).toBe(73);
      expect(readFileSync(tenantFilePath(dataDir, idOf("alpha"))).equals(before)).toBe(true);
      const list = await cli(["restore", "--list", "--org", "alpha"]);
      expect(list.status).toBe(0);
      expect(list.stdout).toMatch(/^\d{8}T\d{6}Z/m);
    },
  },
  {
    command: "export",
    promise: /an existing file is never overwritten \(exit 73\)/,
    async check() {
      const out = join(dataDir, "taken.zip");
      writeFileSync(out, "mine");
      expect((await cli(["export", "--org", "alpha", "--out", out])).status).toBe(73);
      expect(readFileSync(out, "utf8")).toBe("mine");
    },
  },
  {
    command: "import",
    promise: /an invalid archive is refused with exit 65 and nothing is\s+written/,
    async check() {
      const bad = join(dataDir, "bad.zip");
      writeFileSync(bad, randomBytes(200));
      expect((await cli(["import", bad, "--slug", "gamma", "--owner", "owner@example.test"])).status).toBe(65);
      expect(statusOf("gamma")).toBeUndefined();
    },
  },
  {
    command: "files sweep",
    promise: /--dry-run: what would be, changing nothing/,
    async check() {
      const dir = blobDir(dataDir, idOf("alpha"));
      mkdirSync(dir, { recursive: true });
      const orphan = join(dir, randomBytes(16).toString("hex"));
      writeFileSync(orphan, randomBytes(100));
      const old = new Date(Date.now() - 2 * 3_600_000);
      utimesSync(orphan, old, old);
      const dry = await cli(["files", "sweep", "--org", "alpha", "--dry-run"]);
      expect(dry.status, dry.stderr).toBe(0);
      expect(dry.stdout).toContain("would remove 0 row(s) (0 bytes of quota) and 1 stored file(s)");
      expect(existsSync(orphan)).toBe(true);
      expect((await cli(["files", "sweep", "--org", "alpha"])).status).toBe(0);
      expect(existsSync(orphan)).toBe(false);
    },
  },
  {
    command: "grants",
    promise: /Revoking ends\s+the staff member's support session/,
    async check() {
      const id = readFileSync(join(dataDir, "grant-id"), "utf8");
      const res = await cli(["grants", "revoke", id]);
      expect(res.status, res.stderr).toBe(0);
      expect(control<{ revoked: number }>("select revoked_at is not null as revoked from support_grants where id = ?", id)).toEqual({
        revoked: 1,
      });
      expect((await cli(["grants", "revoke", "gnosuchgrantxxxxxxxxxxxxxx"])).status).toBe(1);
    },
  },
  {
    command: "rotate-master-key",
    promise: /--new-key-file <path> \(created 0600 if missing\)/,
    async check() {
      const newKey = join(dataDir, "secrets", "next.key");
      const res = await cli(["rotate-master-key", "--new-key-file", newKey]);
      expect(res.status, res.stderr).toBe(0);
      expect(statSync(newKey).mode & 0o777).toBe(0o600);
      expect(readFileSync(newKey, "utf8").trim()).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    },
  },
];

async function helpOf(line: string) {
  const [name, sub] = line.split(" ");
  const command: Command = await commands[name!]!.load();
  return sub ? command.subs![sub]!.usage : command.usage;
}

describe("every --help promise holds", { timeout: 180_000 }, () => {
  for (const [i, claim] of claims.entries()) {
    it(`${claim.command}: ${claim.promise.source.replace(/\\s\+/g, " ").replace(/\\/g, "")}`, async () => {
      expect(await helpOf(claim.command), `the help of "${claim.command}" no longer says this (row ${i})`).toMatch(claim.promise);
      await claim.check();
    });
  }

  it("has a row for every command and sub-command", async () => {
    const lines: string[] = [];
    for (const [name, entry] of Object.entries(commands)) {
      const command = await entry.load();
      if (command.subs) for (const sub of Object.keys(command.subs)) lines.push(`${name} ${sub}`);
      else lines.push(name);
    }
    expect(lines.filter((line) => !claims.some((c) => c.command === line))).toEqual([]);
  });
});
