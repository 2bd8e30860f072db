import { createHmac, timingSafeEqual } from "node:crypto";
import type { Keyring } from "../crypto/keys";

/**
 * The digest's unsubscribe link works without logging in, so it carries its own proof: an HMAC-SHA256
 * of (organisation, member) under a key derived from the master key. It can only turn that one
 * member's digest off in that one organisation, so it never expires. Links are signed under the
 * current master key and checked under every loaded one: a rotation voids old links only once the
 * old key leaves the ring (the page then says so, and the member can still switch the digest off in the app).
 *
 *   <tenant id>_<user id>_<base64url MAC, 43 characters>
 *
 * Ids are lowercase base32 with a letter prefix and never contain "_", so the split is unambiguous
 * even though the MAC may.
 */
const PURPOSE = "digest-unsubscribe";
export const TOKEN_PATTERN = /^(t[a-z2-7]{8,64})_(u[a-z2-7]{8,64})_([A-Za-z0-9_-]{43})$/;

function mac(key: Buffer, tenantId: string, userId: string) {
  return createHmac("sha256", key).update(`${tenantId}\n${userId}`).digest();
}

export function unsubscribeToken(keys: Keyring, tenantId: string, userId: string) {
  return `${tenantId}_${userId}_${mac(keys.macKey(PURPOSE), tenantId, userId).toString("base64url")}`;
}

/** The member a token names, or null when it is malformed or its MAC does not verify. */
export function readUnsubscribeToken(keys: Keyring, token: string): { tenantId: string; userId: string } | null {
  const m = TOKEN_PATTERN.exec(token);
  if (!m) return null;
  const [, tenantId, userId, given] = m as unknown as [string, string, string, string];
  // The encoded forms are compared (43 bytes each, in constant time): decoding would let several
  // spellings of the last character stand for the same MAC.
  const matches = keys
    .macKeys(PURPOSE)
    .map((key) => timingSafeEqual(Buffer.from(given), Buffer.from(mac(key, tenantId, userId).toString("base64url"))));
  return matches.includes(true) ? { tenantId, userId } : null;
}
