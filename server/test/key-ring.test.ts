import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { backupAll } from "../backup/backup";
import { restoreAll } from "../backup/restore";
import { makeRotateMasterKeyCommand, type RunningServer } from "../cli/rotate-master-key";
import { loadConfig } from "../config";
import { createUser } from "../auth/accounts";
import { createKeyFile, Keyring, readKeyFile, wrappedKekId } from "../crypto/keys";
import { readUnsubscribeToken, unsubscribeToken } from "../digest/unsubscribe-token";
import { createTenant } from "../tenants/create-tenant";
import { MasterKeyMissingError } from "../crypto/master-key-ring";
import { createServices, type Services } from "../services";
import { startInstance, type Instance } from "./support/instance";
import {
  cli,
  downloadFrom,
  follow,
  keyEnv,
  keyPath,
  orgWithFile,
  pngLike,
  unreadable,
  uploadTo,
  type OrgWithFile,
} from "./support/key-ring";
import { runTsx } from "./support/run-tsx";

/**
 * Issue 29 items 3 and 6: master keys as a ring. Each reproduction runs a real server on loopback
 * (real SQLite files, real HTTP), the operator CLI as its own process beside it, and restarts.
 */

const root = mkdtempSync(join(tmpdir(), "opslayer-key-ring-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function wrappedKeys(instance: Instance) {
  return instance.services.control.selectFrom("tenants").select(["slug", "wrapped_key"]).where("wrapped_key", "is not", null).execute();
}

function kekIdsOf(rows: { wrapped_key: string | null }[]) {
  return [...new Set(rows.map((r) => wrappedKekId(r.wrapped_key!)))].sort();
}

/** The rotate command in this process, with the running-server check fed by a live instance. */
async function rotateInProcess(instance: Instance, env: Record<string, string>, args: string[]) {
  const config = loadConfig(env);
  let services = null as Promise<Services> | null;
  const server: RunningServer = { pid: process.pid, port: Number(new URL(instance.url).port), keyIds: instance.services.keys.loadedIds };
  const command = makeRotateMasterKeyCommand(() => server);
  try {
    await command.run({ config, args, services: () => (services ??= createServices(config, { log: () => {} })) });
  } finally {
    if (services) await (await services).close();
  }
}

/**
 * Uploads and downloads in every organisation, one after the other, until `stop` resolves. Records
 * every answer with the master key that wrapped the organisation's data key when it came back.
 */
function writers(instance: Instance, orgs: OrgWithFile[], stop: Promise<unknown>) {
  let stopped = false;
  void stop.finally(() => (stopped = true));
  const answers: { org: string; what: string; status: number; kek: string | null }[] = [];
  const kekOf = async (org: OrgWithFile) =>
    wrappedKekId(
      (await instance.services.control.selectFrom("tenants").select("wrapped_key").where("id", "=", org.tenantId).executeTakeFirstOrThrow())
        .wrapped_key!,
    );
  const work = orgs.map(async (org) => {
    do {
      const data = pngLike(1500);
      const up = await uploadTo(org.client, org.slug, org.projectId, data);
      answers.push({ org: org.slug, what: "upload", status: up.status, kek: await kekOf(org) });
      if (up.status === 201) org.files.push({ id: up.id!, data });
      const first = org.files[0]!;
      const down = await downloadFrom(org.client, org.slug, first.id);
      answers.push({ org: org.slug, what: "download", status: down.body.equals(first.data) ? down.status : -1, kek: await kekOf(org) });
    } while (!stopped);
  });
  return { answers, done: Promise.all(work) };
}

/** Organisations without files, straight into the control DB (as server/bench/tenants.ts does): the rotation's bulk. */
async function bulkOrganisations(instance: Instance, count: number) {
  const { control, keys } = instance.services;
  const owner = await control.selectFrom("users").select("id").executeTakeFirstOrThrow();
  await control.transaction().execute(async (trx) => {
    for (let i = 0; i < count; i++) {
      const id = `tbulk${String(i).padStart(6, "0")}`;
      await trx
        .insertInto("tenants")
        .values({
          id,
          slug: `bulk-${i}`,
          name: `Bulk ${i}`,
          status: "active",
          plan: "standard",
          features: "{}",
          file_name: `${id}.sqlite`,
          wrapped_key: keys.createDataKey(id),
          created_by: owner.id,
          created_at: Date.now(),
        })
        .execute();
    }
  });
}

const BULK = 3000;

describe("rotate-master-key with a running server (reproduction 3)", { timeout: 300_000 }, () => {
  const dataDir = join(root, "online");
  const k1 = keyPath(dataDir, "master-1");
  const k2 = keyPath(dataDir, "master-2");
  let instance: Instance;
  let orgs: OrgWithFile[] = [];
  afterAll(() => instance?.stop());

  it("refuses to rewrap under a server that has not loaded the new key, changing nothing", async () => {
    mkdirSync(dataDir, { recursive: true });
    instance = await startInstance(keyEnv(dataDir, { current: k1 }));
    for (const slug of ["north", "south", "east"]) orgs.push(await orgWithFile(instance, slug));
    await bulkOrganisations(instance, BULK);
    const before = await wrappedKeys(instance);
    expect(kekIdsOf(before)).toEqual([readKeyFile(k1).hex]);

    // Before the ring, this rewrapped every key at once and every download answered 500.
    const refused = rotateInProcess(instance, keyEnv(dataDir, { current: k1 }), ["--new-key-file", k2]);
    await expect(refused).rejects.toThrow(
      `pid ${process.pid}, port ${new URL(instance.url).port}) without master key ${readKeyFile(k2).hex}`,
    );
    expect(await wrappedKeys(instance)).toEqual(before);
    expect(await unreadable(orgs)).toEqual([]);
  });

  it("rewraps online: uploads and downloads in every organisation keep working, none fails, and organisations created meanwhile are not stranded", async () => {
    // Step 1 of the documented procedure: the new key current, the old one kept in the ring.
    await instance.stop();
    const ring = keyEnv(dataDir, { current: k2, previous: k1 });
    instance = await startInstance(ring);
    orgs = orgs.map((o) => follow(o, instance));
    expect(instance.services.keys.loadedIds).toEqual([readKeyFile(k2).hex, readKeyFile(k1).hex]);

    // Step 2, under load: the CLI as its own process while the server serves three organisations
    // and a fourth is created.
    const rotation = cli(["rotate-master-key"], ring);
    const load = writers(instance, orgs, rotation);
    const late = await orgWithFile(instance, "west");
    const rotated = await rotation;
    await load.done;
    expect(rotated.status, rotated.stderr).toBe(0);
    // "west" is wrapped by the server's current key from the start, so it is rewrapped or already current depending on timing.
    expect(rotated.stdout).toMatch(
      new RegExp(`Rewrapped (${BULK + 3}|${BULK + 4}) organisation data keys to master key ${readKeyFile(k2).hex}`),
    );
    expect(load.answers.filter((a) => a.status !== (a.what === "upload" ? 201 : 200))).toEqual([]);
    // Every organisation was served both before and after its key was rewrapped under the running server.
    const k1hex = readKeyFile(k1).hex;
    const k2hex = readKeyFile(k2).hex;
    for (const org of orgs) {
      const served = new Set(load.answers.filter((a) => a.org === org.slug).map((a) => a.kek));
      expect([org.slug, served.has(k1hex), served.has(k2hex)]).toEqual([org.slug, true, true]);
    }
    console.log(`[key-ring] ${load.answers.length} uploads and downloads answered during the rotation, none failed`);
    orgs.push(late);
    expect(kekIdsOf(await wrappedKeys(instance))).toEqual([readKeyFile(k2).hex]);
    // The running server reads every rewrapped key (not a cached one): each organisation's key changed under it.
    expect(await unreadable(orgs)).toEqual([]);

    // Step 3: the old key leaves the ring; everything, including what was written during the rotation, reads back.
    await instance.stop();
    instance = await startInstance(keyEnv(dataDir, { current: k2 }));
    orgs = orgs.map((o) => follow(o, instance));
    expect(await unreadable(orgs)).toEqual([]);
    expect(orgs.reduce((n, o) => n + o.files.length, 0)).toBeGreaterThan(orgs.length);
  });
});

describe("an organisation created while a rotation runs (reproduction 3, the stranded organisation)", { timeout: 300_000 }, () => {
  const dataDir = join(root, "window");
  const ringDir = join(dataDir, "ring");
  const k1 = keyPath(dataDir, "master-1");
  const k2 = join(ringDir, "master-2.key");
  let instance: Instance;
  let orgs: OrgWithFile[] = [];
  afterAll(() => instance?.stop());

  it("is wrapped by the server's current key, refused by name at a start without it, and rewrapped by the next rotation", async () => {
    mkdirSync(ringDir, { recursive: true, mode: 0o700 });
    chmodSync(ringDir, 0o700);
    const k2hex = createKeyFile(k2)!.hex;
    // The server has the new key in its ring (MASTER_KEY_DIR) but still wraps with the old one.
    instance = await startInstance(keyEnv(dataDir, { current: k1, dir: ringDir }));
    const k1hex = readKeyFile(k1).hex;
    expect(instance.services.keys.loadedIds).toEqual([k1hex, k2hex]);
    for (const slug of ["alpha", "beta"]) orgs.push(await orgWithFile(instance, slug));

    await rotateInProcess(instance, keyEnv(dataDir, { current: k1 }), ["--new-key-file", k2]);
    expect(kekIdsOf(await wrappedKeys(instance))).toEqual([k2hex]);
    expect(await unreadable(orgs)).toEqual([]);
    // Created after the rewrap, before the restart: wrapped by k1, the server's current key.
    const late = await orgWithFile(instance, "late");
    orgs.push(late);
    expect(kekIdsOf(await wrappedKeys(instance))).toEqual([k1hex, k2hex].sort());

    // A start on the new key alone is refused, naming the key and the organisation (it used to start and answer 500).
    await instance.stop();
    const alone = keyEnv(dataDir, { current: k2 });
    const refusal = startInstance(alone);
    await expect(refusal).rejects.toBeInstanceOf(MasterKeyMissingError);
    await expect(refusal).rejects.toThrow(
      `master key ${k1hex} is not loaded, but the control database needs it for the data keys of 1 organisation: late (${late.tenantId})`,
    );
    // The real entry point exits 78 (bad configuration) with the same sentence, before listening.
    const server = await runTsx("server/main.ts", [], {
      env: { ...process.env, ...alone, PORT: "0", HOST: "127.0.0.1" } as NodeJS.ProcessEnv,
    });
    expect(server.status).toBe(78);
    expect(server.stderr).toContain(`master key ${k1hex} is not loaded`);
    expect(server.stderr).toContain(`late (${late.tenantId})`);
    expect(server.stdout).not.toContain("listening");

    // With the old key in the ring it serves everything; the rotation run again (twice in a row) picks the straggler up.
    const ring = keyEnv(dataDir, { current: k2, previous: k1 });
    instance = await startInstance(ring);
    orgs = orgs.map((o) => follow(o, instance));
    expect(await unreadable(orgs)).toEqual([]);
    const second = await cli(["rotate-master-key"], ring);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain(`Rewrapped 1 organisation data keys to master key ${k2hex}; 2 already were.`);
    expect(second.stdout).toContain(`No data key needs ${k1hex} any more`);
    const third = await cli(["rotate-master-key"], ring);
    expect(third.status).toBe(0);
    expect(third.stdout).toContain(`Rewrapped 0 organisation data keys to master key ${k2hex}; 3 already were.`);

    await instance.stop();
    instance = await startInstance(alone);
    orgs = orgs.map((o) => follow(o, instance));
    expect(await unreadable(orgs)).toEqual([]);
  });
});

describe("restore --all of a backup wrapped under a key no longer loaded (reproduction 6)", { timeout: 300_000 }, () => {
  const dataDir = join(root, "restore");
  const k1 = keyPath(dataDir, "master-1");
  const k2 = keyPath(dataDir, "master-2");
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("names the key id the backup needs and replaces nothing; with that key in the ring it restores", async () => {
    mkdirSync(dataDir, { recursive: true });
    let instance = await startInstance(keyEnv(dataDir, { current: k1 }));
    let org = await orgWithFile(instance, "archive");
    const k1hex = readKeyFile(k1).hex;
    const backup = await backupAll(instance.services);
    await instance.stop();

    // Rotated offline since; the old key is then dropped from the configuration.
    const rotated = await cli(["rotate-master-key", "--new-key-file", k2], keyEnv(dataDir, { current: k1 }));
    expect(rotated.status).toBe(0);
    const k2hex = readKeyFile(k2).hex;
    const control = join(dataDir, "control.sqlite");
    const sha = () => createHash("sha256").update(readFileSync(control)).digest("hex");
    const before = sha();

    const withoutOld = loadConfig(keyEnv(dataDir, { current: k2 }));
    const refused = restoreAll(withoutOld, { stamp: backup.stamp, force: true });
    await expect(refused).rejects.toBeInstanceOf(MasterKeyMissingError);
    await expect(refused).rejects.toThrow(
      `master key ${k1hex} is not loaded, but backup control/${backup.stamp}.sqlite needs it for the data keys of 1 organisation: archive (${org.tenantId})`,
    );
    await expect(refused).rejects.toThrow(`Loaded master keys: ${k2hex}.`);
    expect(sha()).toBe(before);
    // The CLI says the same and exits 78.
    const viaCli = await cli(["restore", "--all", "--force", "--from", backup.stamp], keyEnv(dataDir, { current: k2 }));
    expect(viaCli.status).toBe(78);
    expect(viaCli.stderr).toContain(`master key ${k1hex} is not loaded`);

    const ring = keyEnv(dataDir, { current: k2, previous: k1 });
    await restoreAll(loadConfig(ring), { stamp: backup.stamp, force: true });
    instance = await startInstance(ring);
    org = follow(org, instance);
    expect(await unreadable([org])).toEqual([]);
    await instance.stop();
  });
});

describe("key ring configuration", () => {
  it("loads MASTER_KEY_PREVIOUS_FILE and MASTER_KEY_DIR, refuses a directory others can write, and wraps only with the current key", async () => {
    const dataDir = join(root, "config");
    const dir = join(dataDir, "ring");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const current = createKeyFile(keyPath(dataDir, "current"))!;
    const previous = createKeyFile(keyPath(dataDir, "previous"))!;
    const inDir = createKeyFile(join(dir, "older.key"))!;
    copyFileSync(keyPath(dataDir, "current"), join(dir, "current.key")); // the current key listed twice is kept once
    chmodSync(join(dir, "current.key"), 0o600);
    const env = keyEnv(dataDir, { current: keyPath(dataDir, "current"), previous: keyPath(dataDir, "previous"), dir });
    const services = await createServices(loadConfig(env), { log: () => {} });
    try {
      expect(services.keys.loadedIds).toEqual([current.hex, previous.hex, inDir.hex]);
      expect(wrappedKekId(services.keys.createDataKey("tabcdefghij"))).toBe(current.hex);
    } finally {
      await services.close();
    }
    chmodSync(dir, 0o770);
    await expect(createServices(loadConfig(env), { log: () => {} })).rejects.toThrow(/MASTER_KEY_DIR: .* is writable by group or others/);
  });

  it("creates a missing current key file on start only while every wrapped key is under a previous key", async () => {
    const dataDir = join(root, "first-start");
    mkdirSync(dataDir, { recursive: true });
    const k1 = keyPath(dataDir, "master-1");
    const first = await createServices(loadConfig(keyEnv(dataDir, { current: k1 })), { log: () => {} });
    const owner = await createUser(first, {
      name: "Owner",
      email: "owner@ring.test",
      password: "garden-ladder-violin-79",
      isStaff: false,
      verified: true,
    });
    await createTenant(first, owner, { name: "Ring", slug: "ring" }, { ip: "127.0.0.1", userAgent: "key-ring-test" });
    await first.close();

    // A wrong path with no ring behind it is refused (it would strand "ring" behind an unrelated key) ...
    await expect(createServices(loadConfig(keyEnv(dataDir, { current: keyPath(dataDir, "typo") })), { log: () => {} })).rejects.toThrow(
      /MASTER_KEY_FILE: .*typo\.key does not exist/,
    );
    expect(existsSync(keyPath(dataDir, "typo"))).toBe(false);
    // ... the first start of a rotation makes the new key, current, with the old one unwrapping.
    const logs: string[] = [];
    const k2 = keyPath(dataDir, "master-2");
    const second = await createServices(loadConfig(keyEnv(dataDir, { current: k2, previous: k1 })), { log: (l) => logs.push(l) });
    try {
      expect(second.keys.loadedIds).toEqual([readKeyFile(k2).hex, readKeyFile(k1).hex]);
      expect(logs.join("\n")).toContain(`created master key file ${k2}`);
      const tenant = await second.control.selectFrom("tenants").select("id").where("slug", "=", "ring").executeTakeFirstOrThrow();
      expect((await second.keys.dataKeyFor(tenant.id)).key).toHaveLength(32);
    } finally {
      await second.close();
    }
  });

  it("verifies links signed under a previous key while it stays in the ring, and no longer once it leaves", async () => {
    const dataDir = join(root, "links");
    mkdirSync(dataDir, { recursive: true });
    const old = createKeyFile(keyPath(dataDir, "old"))!;
    const next = createKeyFile(keyPath(dataDir, "new"))!;
    const services = await createServices(loadConfig(keyEnv(dataDir, { current: keyPath(dataDir, "old") })), { log: () => {} });
    try {
      const token = unsubscribeToken(services.keys, "tabcdefghij", "uabcdefghij");
      const during = new Keyring(services.control, { current: next, previous: [old] });
      expect(unsubscribeToken(during, "tabcdefghij", "uabcdefghij")).not.toBe(token);
      expect(readUnsubscribeToken(during, token)).toEqual({ tenantId: "tabcdefghij", userId: "uabcdefghij" });
      expect(readUnsubscribeToken(new Keyring(services.control, { current: next, previous: [] }), token)).toBeNull();
    } finally {
      await services.close();
    }
  });
});
