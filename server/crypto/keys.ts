import { hkdfSync, randomBytes } from "node:crypto";
import { closeSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ControlDb } from "../../db/control/open";
import { ConfigError, type Config } from "../config";
import {
  DecryptError,
  decrypt,
  encrypt,
  gcmOpen,
  gcmSeal,
  IV_BYTES,
  symmetricKey,
  TAG_BYTES,
  type EnvelopeAad,
  type SymmetricKey,
} from "./envelope";

/**
 * Key hierarchy: master keys (KEKs) per installation, in a ring (master-key-ring.ts): the current
 * one (MASTER_KEY or a key file) wraps new data keys, previous ones only unwrap; one data key (DEK,
 * 32 random bytes) per organisation, kept only wrapped by a KEK in `tenants.wrapped_key`:
 *
 *   v1:<kek id, 16 hex>:<base64 of IV (12) ‖ wrapped DEK (32) ‖ GCM tag (16)>     AAD = tenant id
 *
 * The recorded kek id picks the ring key that unwraps. Rotating the KEK rewraps DEKs and touches no
 * data (rotation.ts); destroying a DEK (wrapped_key = null) makes everything sealed with it unreadable.
 */

export interface MasterKey extends SymmetricKey {
  /** Hex of the 8-byte key id; recorded in every wrapped DEK. */
  hex: string;
}

const KEY_BYTES = 32;
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;

export class KeyFileError extends ConfigError {
  override name = "KeyFileError";
}

/**
 * The current master key (wraps) and previous ones (unwrap only). Ids are unique: a key given twice
 * (say MASTER_KEY_FILE inside MASTER_KEY_DIR) is kept once, as current.
 */
export interface MasterKeyRing {
  current: MasterKey;
  previous: MasterKey[];
}

/** Every key of the ring, current first. */
export function ringKeys(ring: MasterKeyRing): MasterKey[] {
  return [ring.current, ...ring.previous.filter((k) => k.hex !== ring.current.hex)];
}

/** A data key could not be produced (no organisation, wrong master key, destroyed…). */
export class DataKeyError extends Error {
  override name = "DataKeyError";
}

export function isBase64Key(value: string) {
  return BASE64_KEY.test(value.trim());
}

export function masterKeyFrom(raw: Buffer): MasterKey {
  const k = symmetricKey(raw);
  return { ...k, hex: k.id.toString("hex") };
}

export function masterKeyFromBase64(value: string, name = "MASTER_KEY"): MasterKey {
  if (!isBase64Key(value)) throw new ConfigError(`Invalid configuration:\n  ${name}: must be the base64 encoding of exactly 32 bytes`);
  return masterKeyFrom(Buffer.from(value.trim(), "base64"));
}

export function generateMasterKeyBase64() {
  return randomBytes(KEY_BYTES).toString("base64");
}

/**
 * Reads a key file: a regular file, no permission bits for group or others, holding one line of
 * base64 (32 bytes). Anything else is refused rather than guessed at.
 */
export function readKeyFile(path: string, variable = "MASTER_KEY_FILE"): MasterKey {
  const fail = (why: string) => new KeyFileError(`Invalid configuration:\n  ${variable}: ${path} ${why}`);
  let stat;
  try {
    stat = lstatSync(path);
  } catch (error) {
    throw fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if (!stat.isFile()) throw fail("is not a regular file");
  if ((stat.mode & 0o077) !== 0)
    throw fail(`is accessible by group or others (mode ${(stat.mode & 0o777).toString(8)}); run chmod 600 on it`);
  const text = readFileSync(path, "utf8").trim();
  if (!isBase64Key(text)) throw fail("is malformed: expected one line with the base64 encoding of 32 bytes");
  return masterKeyFrom(Buffer.from(text, "base64"));
}

/**
 * Creates a key file with a fresh key: the directory (if missing) with mode 0700, the file with
 * 0600, written to a temporary name, fsynced, then hard-linked into place so two processes starting
 * at once never see a half-written file (the loser reads the winner's key). Returns null when the
 * file already exists.
 */
export function createKeyFile(path: string): MasterKey | null {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(path), `.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const raw = randomBytes(KEY_BYTES);
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, `${raw.toString("base64")}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return null;
    throw error;
  } finally {
    unlinkSync(tmp);
  }
  return masterKeyFrom(raw);
}

/**
 * The configured current master key: MASTER_KEY, else the key file, created on first run. `previous`
 * are the ring's other keys: a missing key file may be created while every wrapped data key is under
 * one of them (the first start of a rotation), never while some key would be left without its KEK.
 */
export async function loadMasterKey(
  config: Pick<Config, "masterKey" | "masterKeyFile">,
  control?: ControlDb,
  previous: MasterKey[] = [],
): Promise<{ key: MasterKey; created: boolean }> {
  if (config.masterKey) return { key: masterKeyFromBase64(config.masterKey), created: false };
  const path = config.masterKeyFile;
  if (!path) throw new KeyFileError("Invalid configuration:\n  MASTER_KEY_FILE: no master key configured");
  let exists = true;
  try {
    lstatSync(path);
  } catch {
    exists = false;
  }
  if (!exists) {
    // A missing key file with organisations already holding keys wrapped by no loaded key means the
    // wrong path (or a lost key): making a new key would strand their data behind an unrelated key, so stop.
    if (control) {
      const rows = await control.selectFrom("tenants").select("wrapped_key").where("wrapped_key", "is not", null).execute();
      const known = new Set(previous.map((k) => k.hex));
      if (rows.some((r) => !known.has(wrappedKekId(r.wrapped_key!) ?? ""))) {
        throw new KeyFileError(
          `Invalid configuration:\n  MASTER_KEY_FILE: ${path} does not exist, but organisations already have data keys wrapped by a master key; point MASTER_KEY_FILE (or MASTER_KEY) at that key`,
        );
      }
    }
    const made = createKeyFile(path);
    if (made) return { key: made, created: true };
  }
  return { key: readKeyFile(path), created: false };
}

function macKeyOf(kek: MasterKey, purpose: string) {
  return Buffer.from(hkdfSync("sha256", kek.key, Buffer.alloc(0), `opslayer mac v1 ${purpose}`, 32));
}

export function wrapDataKey(kek: MasterKey, tenantId: string, dek: Buffer): string {
  const iv = randomBytes(IV_BYTES);
  const { ciphertext, tag } = gcmSeal(kek.key, iv, dek, Buffer.from(tenantId, "utf8"));
  return `v1:${kek.hex}:${Buffer.concat([iv, ciphertext, tag]).toString("base64")}`;
}

/** The id of the master key a wrapped value names (no decryption). */
export function wrappedKekId(wrapped: string): string | null {
  const m = /^v1:([0-9a-f]{16}):/.exec(wrapped);
  return m ? m[1]! : null;
}

/** Unwraps with whichever ring key the wrapped value names; a key the ring lacks is named in the error. */
export function unwrapWithRing(ring: MasterKeyRing, tenantId: string, wrapped: string): SymmetricKey {
  const id = wrappedKekId(wrapped);
  const kek = id ? ringKeys(ring).find((k) => k.hex === id) : undefined;
  if (id && !kek) {
    throw new DecryptError(
      "key",
      `data key of ${tenantId} is wrapped by master key ${id}, which is not loaded (loaded: ${ringKeys(ring)
        .map((k) => k.hex)
        .join(", ")})`,
    );
  }
  return unwrapDataKey(kek ?? ring.current, tenantId, wrapped);
}

export function unwrapDataKey(kek: MasterKey, tenantId: string, wrapped: string): SymmetricKey {
  const m = /^v1:([0-9a-f]{16}):([A-Za-z0-9+/]+={0,2})$/.exec(wrapped);
  if (!m) throw new DecryptError("malformed", `data key of ${tenantId} is not a v1 wrapped key`);
  if (m[1] !== kek.hex) {
    throw new DecryptError("key", `data key of ${tenantId} is wrapped by master key ${m[1]}, but the configured master key is ${kek.hex}`);
  }
  const raw = Buffer.from(m[2]!, "base64");
  if (raw.length !== IV_BYTES + KEY_BYTES + TAG_BYTES) throw new DecryptError("malformed", `data key of ${tenantId} has the wrong length`);
  const dek = gcmOpen(
    kek.key,
    raw.subarray(0, IV_BYTES),
    raw.subarray(IV_BYTES, IV_BYTES + KEY_BYTES),
    raw.subarray(IV_BYTES + KEY_BYTES),
    Buffer.from(tenantId, "utf8"),
  );
  return symmetricKey(dek);
}

/**
 * Per-organisation data keys for one process. Unwrapped keys are cached by tenant with the wrapped
 * value as the cache key: every lookup reads `wrapped_key` (a primary-key read), so a rewrap or a
 * destroy done by another process is seen at once.
 */
export class Keyring {
  private cache = new Map<string, { wrapped: string; key: SymmetricKey }>();
  /** The current master key: every new data key is wrapped by it. */
  readonly master: MasterKey;

  constructor(
    private control: ControlDb,
    readonly ring: MasterKeyRing,
  ) {
    this.master = ring.current;
  }

  /** Ids of every master key this process can unwrap with, current first. */
  get loadedIds(): string[] {
    return ringKeys(this.ring).map((k) => k.hex);
  }

  /** A fresh DEK for a new organisation, wrapped: store it in the tenants insert. */
  createDataKey(tenantId: string): string {
    return wrapDataKey(this.master, tenantId, randomBytes(KEY_BYTES));
  }

  /**
   * The organisation's DEK. An organisation without one (created before keys existed, or whose key
   * was destroyed while it stays active) gets a new one, set only if the column is still null so
   * two processes racing agree on one key. A closed organisation without a key stays without.
   */
  async dataKeyFor(tenantId: string): Promise<SymmetricKey> {
    const row = await this.control.selectFrom("tenants").select(["wrapped_key", "status"]).where("id", "=", tenantId).executeTakeFirst();
    if (!row) throw new DataKeyError(`no organisation ${tenantId}`);
    let wrapped = row.wrapped_key;
    if (wrapped === null) {
      if (row.status === "closed" || row.status === "purging" || row.status === "purged")
        throw new DataKeyError(`organisation ${tenantId} has no data key`);
      const fresh = this.createDataKey(tenantId);
      await this.control
        .updateTable("tenants")
        .set({ wrapped_key: fresh })
        .where("id", "=", tenantId)
        .where("wrapped_key", "is", null)
        .execute();
      const again = await this.control.selectFrom("tenants").select("wrapped_key").where("id", "=", tenantId).executeTakeFirst();
      if (!again?.wrapped_key) throw new DataKeyError(`organisation ${tenantId} has no data key`);
      wrapped = again.wrapped_key;
    }
    const hit = this.cache.get(tenantId);
    if (hit && hit.wrapped === wrapped) return hit.key;
    const key = unwrapWithRing(this.ring, tenantId, wrapped);
    this.cache.set(tenantId, { wrapped, key });
    return key;
  }

  /**
   * A 32-byte HMAC key for one purpose (e.g. "digest-unsubscribe"), derived from the master key with
   * HKDF-SHA256: no new secret to store, distinct purposes never share a key, and the master key
   * itself never signs anything. Signs with the current key; see macKeys for checking.
   */
  macKey(purpose: string): Buffer {
    return macKeyOf(this.master, purpose);
  }

  /** The purpose's keys under every loaded master key, current first: what was signed before a rotation still verifies while the old key stays in the ring. */
  macKeys(purpose: string): Buffer[] {
    return ringKeys(this.ring).map((k) => macKeyOf(k, purpose));
  }

  /** Crypto-shredding: forget the wrapped DEK; whatever it sealed can no longer be decrypted. */
  async destroyDataKey(tenantId: string) {
    await this.control.updateTable("tenants").set({ wrapped_key: null }).where("id", "=", tenantId).execute();
    this.cache.delete(tenantId);
  }

  /** Encrypts for `aad.org` with that organisation's DEK. */
  async seal(aad: EnvelopeAad, plaintext: Buffer | string): Promise<Buffer> {
    return encrypt(await this.dataKeyFor(aad.org), plaintext, aad);
  }

  /** Decrypts a value sealed for exactly this context; throws `DecryptError` otherwise. */
  async open(aad: EnvelopeAad, blob: Buffer): Promise<Buffer> {
    return decrypt(await this.dataKeyFor(aad.org), blob, aad);
  }
}
