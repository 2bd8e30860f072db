import { createHash, randomBytes } from "node:crypto";

/** 256 random bits, URL-safe. Only the SHA-256 of a token is ever stored. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
/** Opaque ids for rows; random, so one tenant's ids never collide with (or hint at) another's. */
export function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let id = prefix;
  for (const b of bytes) id += BASE32[b & 31];
  return id;
}
