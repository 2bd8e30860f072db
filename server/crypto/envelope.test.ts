import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  canonicalAad,
  decrypt,
  decryptString,
  DecryptError,
  encrypt,
  gcmSeal,
  HEADER_BYTES,
  IV_BYTES,
  symmetricKey,
  TAG_BYTES,
  type EnvelopeAad,
} from "./envelope";

const fixedKey = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const fixedIv = Buffer.from(Array.from({ length: 12 }, (_, i) => 0xa0 + i));
const katAad: EnvelopeAad = { org: "t_kat", table: "secrets", row: "r1", field: "value" };
// magic "OE" | version 01 | key id 630dcd2966c43366 | IV a0..ab | ciphertext | tag — computed once with node:crypto alone.
const KAT_HEX = "4f4501630dcd2966c43366a0a1a2a3a4a5a6a7a8a9aaab89680f4124b267cd420ee9bc7014e0bf1edf2e75e0024d3b37e3c8148673d29bafce2e8c02";

const aad: EnvelopeAad = { org: "t_alpha", table: "integrations", row: "int_1", field: "api_key" };
const key = symmetricKey(randomBytes(32));

function expectDecryptError(fn: () => unknown, reason?: DecryptError["reason"]) {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DecryptError);
  if (reason) expect((caught as DecryptError).reason).toBe(reason);
}

describe("envelope: AES-256-GCM with header and context", () => {
  it("matches the published GCM vectors for AES-256 (McGrew–Viega test cases 13 and 14)", () => {
    const zeroKey = Buffer.alloc(32);
    const zeroIv = Buffer.alloc(12);
    expect(gcmSeal(zeroKey, zeroIv, Buffer.alloc(0), Buffer.alloc(0)).tag.toString("hex")).toBe("530f8afbc74536b9a963b4f1c4cb738b");
    const tc14 = gcmSeal(zeroKey, zeroIv, Buffer.alloc(16), Buffer.alloc(0));
    expect(tc14.ciphertext.toString("hex")).toBe("cea7403d4d606b6e074ec5d3baf39d18");
    expect(tc14.tag.toString("hex")).toBe("d0d1c8a799996bf0265b98b5d48ab919");
  });

  it("produces the known answer for a fixed key and IV, and the same bytes as node:crypto by hand", () => {
    const sealed = encrypt(symmetricKey(fixedKey), "opslayer known answer", katAad, { ivSource: () => fixedIv });
    expect(sealed.toString("hex")).toBe(KAT_HEX);

    // Independent construction of the documented layout, without the module under test.
    const keyId = createHash("sha256").update(fixedKey).digest().subarray(0, 8);
    const header = Buffer.concat([Buffer.from("OE"), Buffer.from([1]), keyId, fixedIv]);
    const cipher = createCipheriv("aes-256-gcm", fixedKey, fixedIv);
    cipher.setAAD(Buffer.concat([header, Buffer.from('{"org":"t_kat","table":"secrets","row":"r1","field":"value"}')]));
    const manual = Buffer.concat([header, cipher.update("opslayer known answer", "utf8"), cipher.final(), cipher.getAuthTag()]);
    expect(manual.toString("hex")).toBe(KAT_HEX);

    expect(decryptString(symmetricKey(fixedKey), Buffer.from(KAT_HEX, "hex"), katAad)).toBe("opslayer known answer");
  });

  it("round-trips strings, binary and empty values", () => {
    for (const value of ["", "sk_live_abc", "ünïcødé ✓", randomBytes(10_000)]) {
      const sealed = encrypt(key, value, aad);
      expect(sealed.length).toBe(HEADER_BYTES + Buffer.byteLength(value) + TAG_BYTES);
      const opened = decrypt(key, sealed, aad);
      expect(opened.equals(typeof value === "string" ? Buffer.from(value) : value)).toBe(true);
    }
  });

  it("refuses a flipped bit anywhere: header, IV, ciphertext, tag", () => {
    const sealed = encrypt(key, "top secret value", aad);
    for (let byte = 0; byte < sealed.length; byte++) {
      for (const bit of [0, 7]) {
        const bad = Buffer.from(sealed);
        bad[byte]! ^= 1 << bit;
        expectDecryptError(() => decrypt(key, bad, aad));
      }
    }
    const tagAt = sealed.length - TAG_BYTES;
    const ivAt = HEADER_BYTES - IV_BYTES;
    const flip = (i: number) => {
      const bad = Buffer.from(sealed);
      bad[i]! ^= 0x80;
      return bad;
    };
    expectDecryptError(() => decrypt(key, flip(0), aad), "malformed");
    expectDecryptError(() => decrypt(key, flip(2), aad), "version");
    expectDecryptError(() => decrypt(key, flip(3), aad), "key");
    expectDecryptError(() => decrypt(key, flip(ivAt), aad), "auth");
    expectDecryptError(() => decrypt(key, flip(HEADER_BYTES), aad), "auth");
    expectDecryptError(() => decrypt(key, flip(tagAt), aad), "auth");
  });

  it("refuses truncated or extended messages", () => {
    const sealed = encrypt(key, "top secret value", aad);
    for (const n of [0, 1, HEADER_BYTES, HEADER_BYTES + TAG_BYTES - 1, sealed.length - 1]) {
      expectDecryptError(() => decrypt(key, sealed.subarray(0, n), aad));
    }
    expectDecryptError(() => decrypt(key, Buffer.concat([sealed, Buffer.from([0])]), aad), "auth");
  });

  it("refuses the wrong key, even one claiming the right key id", () => {
    const sealed = encrypt(key, "top secret value", aad);
    const other = symmetricKey(randomBytes(32));
    expectDecryptError(() => decrypt(other, sealed, aad), "key");
    expectDecryptError(() => decrypt({ id: key.id, key: other.key }, sealed, aad), "auth");
  });

  it("binds the ciphertext to its organisation, table, row and field", () => {
    const sealed = encrypt(key, "top secret value", aad);
    for (const moved of [
      { ...aad, org: "t_beta" },
      { ...aad, table: "servers" },
      { ...aad, row: "int_2" },
      { ...aad, field: "password" },
      { ...aad, row: "int_1 " },
    ]) {
      expectDecryptError(() => decrypt(key, sealed, moved), "auth");
    }
    expect(decryptString(key, sealed, { field: "api_key", row: "int_1", table: "integrations", org: "t_alpha" })).toBe("top secret value");
  });

  it("serialises the context canonically and refuses an incomplete one", () => {
    expect(canonicalAad({ field: "f", row: "r", table: "t", org: "o" }).toString()).toBe('{"org":"o","table":"t","row":"r","field":"f"}');
    // JSON escaping keeps distinct contexts distinct even with separators inside values.
    expect(
      canonicalAad({ org: 'a","table":"b', table: "c", row: "r", field: "f" }).equals(
        canonicalAad({ org: "a", table: 'b","table":"c', row: "r", field: "f" }),
      ),
    ).toBe(false);
    expect(() => encrypt(key, "x", { org: "o", table: "t", row: "", field: "f" })).toThrow(TypeError);
    expect(() => encrypt(key, "x", { org: "o", table: "t", row: "r" } as EnvelopeAad)).toThrow(TypeError);
    expect(() => encrypt(key, "x", { ...aad, extra: "1" } as EnvelopeAad)).toThrow(TypeError);
    expect(() => decrypt(key, encrypt(key, "x", aad), undefined as unknown as EnvelopeAad)).toThrow(TypeError);
  });

  it("never repeats an IV over 100,000 encryptions", () => {
    const seen = new Set<string>();
    const plaintext = Buffer.from("x");
    for (let i = 0; i < 100_000; i++) {
      seen.add(encrypt(key, plaintext, aad).toString("latin1", HEADER_BYTES - IV_BYTES, HEADER_BYTES));
    }
    expect(seen.size).toBe(100_000);
  });
});
