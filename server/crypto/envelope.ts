import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/**
 * Authenticated encryption of one value (a secret, a field, a file chunk's worth) with AES-256-GCM.
 *
 * Envelope layout, version 1 (all offsets in bytes; a Buffer, stored as a BLOB or base64 text):
 *
 *   0    2   magic "OE" (0x4f 0x45: opslayer envelope)
 *   2    1   version = 0x01
 *   3    8   key id: first 8 bytes of SHA-256 of the data key (says which key sealed it)
 *   11  12   IV: 96 bits, fresh from the CSPRNG for every message
 *   23   n   ciphertext (same length as the plaintext)
 *   23+n 16  GCM tag
 *
 * The additional authenticated data is the 23-byte header followed by the canonical form of the
 * context `{ org, table, row, field }` (see `canonicalAad`), so the header cannot be edited and a
 * ciphertext copied to another organisation, table, row or field does not decrypt. Any failure to
 * decrypt — wrong key, different context, a flipped bit anywhere, a truncated message — throws
 * `DecryptError`; no partial plaintext is ever returned.
 */

export const MAGIC = Buffer.from([0x4f, 0x45]);
export const VERSION = 0x01;
export const KEY_ID_BYTES = 8;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const HEADER_BYTES = MAGIC.length + 1 + KEY_ID_BYTES + IV_BYTES;
const KEY_BYTES = 32;

/** Where a ciphertext belongs. Every field is required and non-empty. */
export interface EnvelopeAad {
  /** The organisation (tenant) id. */
  org: string;
  table: string;
  /** The row's primary key. */
  row: string;
  field: string;
}

/** A 256-bit AES key with its id. */
export interface SymmetricKey {
  /** First 8 bytes of SHA-256 of the key. */
  id: Buffer;
  key: Buffer;
}

export type DecryptFailure = "malformed" | "version" | "key" | "auth";

export class DecryptError extends Error {
  override name = "DecryptError";
  constructor(
    readonly reason: DecryptFailure,
    message: string,
  ) {
    super(message);
  }
}

export function keyIdOf(key: Buffer): Buffer {
  return createHash("sha256").update(key).digest().subarray(0, KEY_ID_BYTES);
}

export function symmetricKey(key: Buffer): SymmetricKey {
  if (key.length !== KEY_BYTES) throw new TypeError(`an AES-256 key is ${KEY_BYTES} bytes, got ${key.length}`);
  return { id: keyIdOf(key), key };
}

const AAD_FIELDS = ["org", "table", "row", "field"] as const;

/**
 * `{"org":…,"table":…,"row":…,"field":…}` as UTF-8 JSON with the keys in that fixed order: JSON
 * string escaping makes the encoding injective, so two different contexts never serialise alike.
 */
export function canonicalAad(aad: EnvelopeAad): Buffer {
  if (typeof aad !== "object" || aad === null) throw new TypeError("aad must be an object { org, table, row, field }");
  const extra = Object.keys(aad).filter((k) => !(AAD_FIELDS as readonly string[]).includes(k));
  if (extra.length) throw new TypeError(`aad has unknown fields: ${extra.join(", ")}`);
  for (const k of AAD_FIELDS) {
    if (typeof aad[k] !== "string" || aad[k].length === 0) throw new TypeError(`aad.${k} must be a non-empty string`);
  }
  return Buffer.from(JSON.stringify({ org: aad.org, table: aad.table, row: aad.row, field: aad.field }), "utf8");
}

export interface EncryptOptions {
  /** Test-only: where IVs come from (known-answer tests). Production always uses randomBytes. */
  ivSource?: (bytes: number) => Buffer;
}

/** Low-level AES-256-GCM with explicit IV and AAD; returns ciphertext and tag. */
export function gcmSeal(key: Buffer, iv: Buffer, plaintext: Buffer, aad: Buffer) {
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, tag: cipher.getAuthTag() };
}

/** Low-level AES-256-GCM open; throws `DecryptError("auth")` when the tag does not verify. */
export function gcmOpen(key: Buffer, iv: Buffer, ciphertext: Buffer, tag: Buffer, aad: Buffer): Buffer {
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new DecryptError("malformed", "bad IV or tag length");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new DecryptError("auth", "ciphertext did not authenticate (wrong key, wrong context, or tampered)");
  }
}

export function encrypt(key: SymmetricKey, plaintext: Buffer | string, aad: EnvelopeAad, options: EncryptOptions = {}): Buffer {
  const context = canonicalAad(aad);
  const iv = options.ivSource ? options.ivSource(IV_BYTES) : randomBytes(IV_BYTES);
  if (iv.length !== IV_BYTES) throw new TypeError(`IV must be ${IV_BYTES} bytes`);
  const header = Buffer.concat([MAGIC, Buffer.from([VERSION]), key.id, iv]);
  const data = typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : plaintext;
  const { ciphertext, tag } = gcmSeal(key.key, iv, data, Buffer.concat([header, context]));
  return Buffer.concat([header, ciphertext, tag]);
}

/** Reads the key id from an envelope's header without decrypting (to pick the key). */
export function envelopeKeyId(blob: Buffer): Buffer {
  checkHeader(blob);
  return blob.subarray(MAGIC.length + 1, MAGIC.length + 1 + KEY_ID_BYTES);
}

function checkHeader(blob: Buffer) {
  if (!Buffer.isBuffer(blob) || blob.length < HEADER_BYTES + TAG_BYTES) throw new DecryptError("malformed", "envelope too short");
  if (!blob.subarray(0, MAGIC.length).equals(MAGIC)) throw new DecryptError("malformed", "not an opslayer envelope");
  if (blob[MAGIC.length] !== VERSION) throw new DecryptError("version", `unknown envelope version ${blob[MAGIC.length]}`);
}

export function decrypt(key: SymmetricKey, blob: Buffer, aad: EnvelopeAad): Buffer {
  const context = canonicalAad(aad);
  checkHeader(blob);
  const keyIdAt = MAGIC.length + 1;
  if (!blob.subarray(keyIdAt, keyIdAt + KEY_ID_BYTES).equals(key.id)) throw new DecryptError("key", "sealed with a different key");
  const header = blob.subarray(0, HEADER_BYTES);
  const iv = blob.subarray(keyIdAt + KEY_ID_BYTES, HEADER_BYTES);
  const ciphertext = blob.subarray(HEADER_BYTES, blob.length - TAG_BYTES);
  const tag = blob.subarray(blob.length - TAG_BYTES);
  return gcmOpen(key.key, iv, ciphertext, tag, Buffer.concat([header, context]));
}

export function decryptString(key: SymmetricKey, blob: Buffer, aad: EnvelopeAad): string {
  return decrypt(key, blob, aad).toString("utf8");
}
