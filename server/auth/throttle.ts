import type { Clock } from "../clock";

interface Failures {
  count: number;
  lockedUntil: number;
  lastAt: number;
}

const BASE_LOCK_MS = 30_000;
const MAX_LOCK_MS = 60 * 60_000;
// Offices share an IP: the per-IP limit is four times the per-account one.
const IP_FACTOR = 4;
const FORGET_ACCOUNT_AFTER_MS = 24 * 60 * 60_000;
// An IP's count fades after a quiet quarter hour, so one bad morning does not lock out a whole office.
const FORGET_IP_AFTER_MS = 15 * 60_000;

export class ThrottledError extends Error {
  override name = "ThrottledError";
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many failed sign-in attempts. Try again in ${retryAfterSeconds} seconds.`);
  }
}

/**
 * Exponential back-off after N failures, per account and per IP. In memory on purpose: a restart
 * forgetting it costs an attacker nothing they could not get by waiting, and it keeps writes off the
 * login path. Accounts are keyed by the normalised email, so changing its case does not reset anything.
 */
export class LoginThrottle {
  readonly #failures = new Map<string, Failures>();
  constructor(
    private readonly clock: Clock,
    private readonly maxFailures: number,
  ) {}

  check(email: string, ip: string) {
    const now = this.clock.now();
    for (const key of this.#keys(email, ip)) {
      const f = this.#failures.get(key);
      if (f && f.lockedUntil > now) throw new ThrottledError(Math.ceil((f.lockedUntil - now) / 1000));
    }
  }

  fail(email: string, ip: string) {
    const now = this.clock.now();
    for (const key of this.#keys(email, ip)) {
      const limit = key.startsWith("ip:") ? this.maxFailures * IP_FACTOR : this.maxFailures;
      const previous = this.#failures.get(key);
      const forgetAfter = key.startsWith("ip:") ? FORGET_IP_AFTER_MS : FORGET_ACCOUNT_AFTER_MS;
      const f = previous && now - previous.lastAt < forgetAfter ? previous : { count: 0, lockedUntil: 0, lastAt: now };
      f.count++;
      f.lastAt = now;
      if (f.count >= limit) f.lockedUntil = now + Math.min(MAX_LOCK_MS, BASE_LOCK_MS * 2 ** (f.count - limit));
      this.#failures.set(key, f);
    }
    this.#prune(now);
  }

  succeed(email: string) {
    this.#failures.delete(`account:${normaliseEmail(email)}`);
  }

  #keys(email: string, ip: string) {
    return [`account:${normaliseEmail(email)}`, `ip:${ip}`];
  }

  #prune(now: number) {
    if (this.#failures.size < 10_000) return;
    for (const [key, f] of this.#failures) if (now - f.lastAt > FORGET_ACCOUNT_AFTER_MS) this.#failures.delete(key);
  }
}

export function normaliseEmail(email: string) {
  return email.normalize("NFKC").trim().toLowerCase();
}
