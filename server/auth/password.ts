import { hash, verify } from "@node-rs/argon2";

// OWASP's argon2id minimum (the library's default of 4 MiB is below it). 2 = Argon2id: the enum is a
// `const enum`, which isolated-module builds cannot inline.
const ARGON2ID = {
  algorithm: 2,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/** Async API: hashing runs on libuv's thread pool, not on the event loop. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2ID);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;
/** Spends the same time as a real check, so a missing account is not revealed by a faster answer. */
export async function burnPasswordCheck(password: string) {
  dummyHash ??= hashPassword("opslayer-timing-equaliser-not-a-password");
  await verifyPassword(await dummyHash, password);
}
