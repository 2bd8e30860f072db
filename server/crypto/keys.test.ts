import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../auth/accounts";
import { ConfigError, loadConfig } from "../config";
import { createServices, type Services } from "../services";
import { createTenant } from "../tenants/create-tenant";
import { DecryptError, type EnvelopeAad } from "./envelope";
import { rotateMasterKey } from "./rotation";
import {
  generateMasterKeyBase64,
  KeyFileError,
  loadMasterKey,
  masterKeyFromBase64,
  readKeyFile,
  unwrapDataKey,
  wrappedKekId,
} from "./keys";

const root = mkdtempSync(join(tmpdir(), "opslayer-keys-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;
const info = { ip: "127.0.0.1", userAgent: "keys-test" };

async function expectRejects(promise: Promise<unknown>, type: new (...args: never[]) => Error) {
  await expect(promise).rejects.toBeInstanceOf(type);
}

describe("master key file", () => {
  it("is created on first run with mode 0600 in a 0700 directory, and reused after", async () => {
    const path = join(root, "first-run", "secrets", "master.key");
    const first = await loadMasterKey({ masterKey: null, masterKeyFile: path });
    expect(first.created).toBe(true);
    expect(mode(path)).toBe(0o600);
    expect(mode(join(root, "first-run", "secrets"))).toBe(0o700);
    expect(readFileSync(path, "utf8")).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    const second = await loadMasterKey({ masterKey: null, masterKeyFile: path });
    expect(second.created).toBe(false);
    expect(second.key.hex).toBe(first.key.hex);
    expect(first.key.hex).toMatch(/^[0-9a-f]{16}$/);
  });

  it("refuses a key file readable by group or others, and a malformed one", async () => {
    const dir = join(root, "bad");
    mkdirSync(dir, { mode: 0o700 });
    const open = join(dir, "open.key");
    writeFileSync(open, `${generateMasterKeyBase64()}\n`, { mode: 0o644 });
    chmodSync(open, 0o644);
    await expectRejects(loadMasterKey({ masterKey: null, masterKeyFile: open }), KeyFileError);
    expect(() => readKeyFile(open)).toThrow(/MASTER_KEY_FILE.*chmod 600/s);
    chmodSync(open, 0o640);
    expect(() => readKeyFile(open)).toThrow(KeyFileError);
    chmodSync(open, 0o600);
    expect(readKeyFile(open).hex).toMatch(/^[0-9a-f]{16}$/);

    for (const content of ["", "not base64 at all", randomBytes(16).toString("base64"), randomBytes(32).toString("hex")]) {
      const bad = join(dir, `bad-${randomBytes(4).toString("hex")}.key`);
      writeFileSync(bad, content, { mode: 0o600 });
      expect(() => readKeyFile(bad)).toThrow(/malformed/);
    }
    // A key-file error is a configuration error: the CLI and server report it as such (exit 78).
    expect(() => readKeyFile(join(dir, "open.key.missing"))).toThrow(ConfigError);
  });

  it("uses MASTER_KEY when set and validates it", () => {
    const b64 = generateMasterKeyBase64();
    expect(masterKeyFromBase64(b64).key.equals(Buffer.from(b64, "base64"))).toBe(true);
    expect(() => loadConfig({ MASTER_KEY: "short" })).toThrow(/MASTER_KEY/);
    expect(() => loadConfig({ MASTER_KEY: b64, MASTER_KEY_FILE: "/tmp/x.key" })).toThrow(/MASTER_KEY_FILE/);
    expect(loadConfig({ MASTER_KEY: b64 })).toMatchObject({ masterKey: b64, masterKeyFile: null });
  });

  it("defaults to ./secrets/master.key, outside the data directory", () => {
    const c = loadConfig({ DATA_DIR: "/srv/opslayer/data" });
    expect(c.masterKeyFile).toBe(join(process.cwd(), "secrets", "master.key"));
    expect(loadConfig({ NODE_ENV: "test", DATA_DIR: "/tmp/x" }).masterKeyFile).toBe("/tmp/x/test-master.key");
  });
});

describe("organisation data keys", () => {
  const dataDir = join(root, "data");
  const keyFile = join(root, "kek", "master.key");
  let services: Services;
  let owner: { id: string; name: string; email: string };
  const config = (extra: Record<string, string> = {}) => loadConfig({ DATA_DIR: dataDir, MASTER_KEY_FILE: keyFile, ...extra });
  const secret = (org: string, row = "int_1"): EnvelopeAad => ({ org, table: "integrations", row, field: "api_key" });

  beforeAll(async () => {
    services = await createServices(config(), { log: () => {} });
    owner = await createUser(services, {
      name: "Owner",
      email: "owner@keys.test",
      password: "garden-ladder-violin-79",
      isStaff: false,
      verified: true,
    });
  });
  afterAll(() => services.close());

  const wrappedOf = async (id: string) =>
    (await services.control.selectFrom("tenants").select("wrapped_key").where("id", "=", id).executeTakeFirstOrThrow()).wrapped_key;

  it("creates a wrapped data key with each organisation and seals its data with it", async () => {
    const a = await createTenant(services, owner, { name: "Alpha", slug: "alpha" }, info);
    const b = await createTenant(services, owner, { name: "Beta", slug: "beta" }, info);
    const wrapped = await wrappedOf(a.id);
    expect(wrapped).toMatch(new RegExp(`^v1:${services.keys.master.hex}:[A-Za-z0-9+/]+={0,2}$`));
    expect(wrapped).not.toBe(await wrappedOf(b.id));
    expect(await services.keys.dataKeyFor(a.id)).toBe(await services.keys.dataKeyFor(a.id)); // cached

    const sealed = await services.keys.seal(secret(a.id), "sk_live_alpha");
    expect(sealed.includes(Buffer.from("sk_live_alpha"))).toBe(false);
    expect((await services.keys.open(secret(a.id), sealed)).toString()).toBe("sk_live_alpha");
    // Moved to another row, or to another organisation (different key and context): refused.
    await expectRejects(services.keys.open(secret(a.id, "int_2"), sealed), DecryptError);
    await expectRejects(services.keys.open(secret(b.id), sealed), DecryptError);
    // The DEK is bound to its tenant: a wrapped key copied to another organisation does not unwrap.
    expect(() => unwrapDataKey(services.keys.master, b.id, wrapped!)).toThrow(DecryptError);
  });

  it("gives an organisation created before keys existed a key on first use, once", async () => {
    const legacy = await createTenant(services, owner, { name: "Legacy", slug: "legacy" }, info);
    await services.control.updateTable("tenants").set({ wrapped_key: null }).where("id", "=", legacy.id).execute();
    const [k1, k2] = await Promise.all([services.keys.dataKeyFor(legacy.id), services.keys.dataKeyFor(legacy.id)]);
    expect(k1.key.equals(k2.key)).toBe(true);
    expect(await wrappedOf(legacy.id)).toMatch(/^v1:/);
    const other = await createServices(config(), { log: () => {} });
    expect((await other.keys.dataKeyFor(legacy.id)).key.equals(k1.key)).toBe(true);
    await other.close();
  });

  it("rotates the master key: every organisation stays readable, the old key unwraps nothing", async () => {
    const tenants = await services.control.selectFrom("tenants").select("id").execute();
    const sealed = new Map<string, Buffer>();
    for (const t of tenants) sealed.set(t.id, await services.keys.seal(secret(t.id), `secret of ${t.id}`));
    const before = new Map<string, string | null>();
    for (const t of tenants) before.set(t.id, await wrappedOf(t.id));

    const oldKek = services.keys.master;
    const newKeyB64 = generateMasterKeyBase64();
    const newKek = masterKeyFromBase64(newKeyB64);
    const progress: number[] = [];
    const result = await rotateMasterKey(services.control, { current: oldKek, previous: [] }, newKek, (done) => progress.push(done));
    expect(result).toEqual({ rewrapped: tenants.length, alreadyCurrent: 0, withoutKey: 0 });
    expect(progress.at(-1)).toBe(tenants.length);

    // A process whose ring lacks the new KEK does not serve its cached DEK for a rewrapped value,
    // and says which key it would need (the CLI refuses to rotate under such a server).
    await expect(services.keys.dataKeyFor(tenants[0]!.id)).rejects.toThrow(`wrapped by master key ${newKek.hex}, which is not loaded`);

    const rotated = await createServices(config({ MASTER_KEY: newKeyB64, MASTER_KEY_FILE: "" }), { log: () => {} });
    try {
      for (const t of tenants) {
        const wrapped = (await wrappedOf(t.id))!;
        expect(wrappedKekId(wrapped)).toBe(newKek.hex);
        expect(wrapped).not.toBe(before.get(t.id));
        expect((await rotated.keys.open(secret(t.id), sealed.get(t.id)!)).toString()).toBe(`secret of ${t.id}`);
        // Old KEK: refused by id, and refused by GCM even when the id is forged to match.
        expect(() => unwrapDataKey(oldKek, t.id, wrapped)).toThrow(DecryptError);
        const forged = wrapped.replace(newKek.hex, oldKek.hex);
        expect(() => unwrapDataKey(oldKek, t.id, forged)).toThrow(/did not authenticate/);
      }
      // Rotating with a ring that lacks the wrapping key fails and leaves every row as it was.
      const snapshot = await services.control.selectFrom("tenants").select(["id", "wrapped_key"]).orderBy("id").execute();
      await expectRejects(
        rotateMasterKey(services.control, { current: oldKek, previous: [] }, masterKeyFromBase64(generateMasterKeyBase64())),
        DecryptError,
      );
      expect(await services.control.selectFrom("tenants").select(["id", "wrapped_key"]).orderBy("id").execute()).toEqual(snapshot);
    } finally {
      await rotated.close();
    }
    // Put the key file's KEK back for the next test.
    await rotateMasterKey(services.control, { current: newKek, previous: [] }, oldKek);
  });

  it("rotation reports keys a process keeps wrapping with another key, and a rerun finishes once it stops", async () => {
    const oldKek = services.keys.master;
    const newKek = masterKeyFromBase64(generateMasterKeyBase64());
    const ring = { current: oldKek, previous: [] };
    // After each pass (outside its transactions), "another server" still on the old key creates an organisation.
    const raw = new Database(join(dataDir, "control.sqlite"));
    let made = 0;
    const creating = (done: number, total: number) => {
      if (done !== total) return;
      const id = `tstraggler${made++}`;
      raw
        .prepare(
          "insert into tenants (id, slug, name, status, plan, features, file_name, wrapped_key, created_by, created_at) values (?, ?, ?, 'active', 'standard', '{}', ?, ?, ?, ?)",
        )
        .run(id, `straggler-${made}`, "Straggler", `${id}.sqlite`, services.keys.createDataKey(id), owner.id, Date.now());
    };
    try {
      await expect(rotateMasterKey(services.control, ring, newKek, creating)).rejects.toThrow(
        /1 organisation data key\(s\) are still wrapped by another master key after 3 passes \(straggler-3\)/,
      );
      expect(made).toBe(3);
      const rerun = await rotateMasterKey(services.control, ring, newKek);
      expect(rerun.rewrapped).toBe(1);
      const rows = await services.control.selectFrom("tenants").select("wrapped_key").where("wrapped_key", "is not", null).execute();
      expect(rows.every((r) => wrappedKekId(r.wrapped_key!) === newKek.hex)).toBe(true);
    } finally {
      raw.close();
      await rotateMasterKey(services.control, { current: newKek, previous: [] }, oldKek);
    }
  });

  it("makes an organisation's data unreadable once its data key is destroyed", async () => {
    const doomed = await createTenant(services, owner, { name: "Doomed", slug: "doomed" }, info);
    const sealed = await services.keys.seal(secret(doomed.id), "bye");
    await services.keys.destroyDataKey(doomed.id);
    expect(await wrappedOf(doomed.id)).toBeNull();
    await expectRejects(services.keys.open(secret(doomed.id), sealed), DecryptError);
    await services.control.updateTable("tenants").set({ status: "closed" }).where("id", "=", doomed.id).execute();
    await services.keys.destroyDataKey(doomed.id);
    await expect(services.keys.dataKeyFor(doomed.id)).rejects.toThrow(/no data key/);
  });

  it("refuses to invent a new master key when organisations already have wrapped keys", async () => {
    await expectRejects(
      createServices(config({ MASTER_KEY_FILE: join(root, "elsewhere", "master.key") }), { log: () => {} }),
      KeyFileError,
    );
  });
});
