import { createHmac } from "node:crypto";
import type { Kysely } from "kysely";
import type { ControlDb } from "../../db/control/open";
import type { TenantPool } from "../../db/pool";
import type { TenantDB } from "../../db/tenant/schema";
import type { Clock } from "../clock";
import type { Config } from "../config";
import type { Keyring } from "../crypto/keys";
import { memberView } from "../digest/member-access";
import type { Mailer } from "../email/mailer";
import { deliveryBody } from "./events";
import { emailWebhookAdmins, ownerProblem, pauseWebhooksOfLostOwners, type PausedWebhook } from "./owner";
import { scopeEvent } from "./scope";
import { allowPrivateHosts, privateHostProblem } from "./url";

export interface DispatcherOptions {
  /** How often the timer looks for due deliveries; 0 starts no timer (tests call runOnce). */
  intervalMs: number;
  /** Per request: a receiver that has not answered by then counts as a failed attempt. */
  timeoutMs: number;
  /** Attempts before a delivery is marked failed. */
  maxAttempts: number;
  /** Wait after the first failed attempt; doubles after each further one (30 s, 1 min, 2 min…). */
  backoffMs: number;
  /** Requests in flight across all organisations (each organisation has at most one). */
  maxConcurrent: number;
  /** Deliveries one organisation sends in a row before yielding its slot to the others. */
  perTurn: number;
}

export const DEFAULT_DISPATCHER_OPTIONS: DispatcherOptions = {
  intervalMs: 2_000,
  timeoutMs: 5_000,
  maxAttempts: 6,
  backoffMs: 30_000,
  maxConcurrent: 8,
  perTurn: 10,
};

export interface DispatcherDeps {
  config: Pick<Config, "env" | "appUrl" | "port">;
  control: ControlDb;
  pool: TenantPool;
  keys: Keyring;
  mailer: Mailer;
  clock: Clock;
  log: (line: string) => void;
}

export const secretAad = (org: string, webhookId: string) => ({ org, table: "webhooks", row: webhookId, field: "secret" });

export function signature(secret: string, timestamp: number, body: string) {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

interface Attempt {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

/**
 * Sends pending webhook deliveries, off the request path. It does not poll every tenant file: it
 * keeps, in memory, which organisations have deliveries due and when (filled by `notify`, which
 * emitEvent calls, and by one scan of the active organisations at start), and opens a file only
 * when its time has come.
 *
 * Fairness: one request in flight per organisation and `maxConcurrent` overall, each bounded by
 * `timeoutMs`, and organisations take turns (at most `perTurn` deliveries each), so a slow or dead
 * receiver holds one slot of its own organisation and nobody else's. Back-off uses the services
 * clock, so tests move time and call `runOnce()` instead of sleeping.
 */
export class WebhookDispatcher {
  readonly options: DispatcherOptions;
  /** tenant id → earliest time a delivery may be due. Map order is the turn order. */
  readonly #due = new Map<string, number>();
  /** Bumped by every notify, so a turn ending concurrently does not forget a fresh delivery. */
  readonly #versions = new Map<string, number>();
  readonly #busy = new Set<string>();
  readonly #running = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | null = null;
  #scan: Promise<void> | null = null;
  #closed = false;

  constructor(
    private readonly deps: DispatcherDeps,
    options: Partial<DispatcherOptions> = {},
  ) {
    this.options = { ...DEFAULT_DISPATCHER_OPTIONS, ...options };
  }

  /** Starts the startup scan and the timer (if intervalMs > 0). */
  start() {
    this.#startScan();
    if (this.options.intervalMs > 0 && !this.#timer) {
      this.#timer = setInterval(
        () => void this.tick().catch((e) => this.deps.log(`[webhooks] tick failed: ${String(e)}`)),
        this.options.intervalMs,
      );
      this.#timer.unref();
    }
  }

  /** Stops the timer; deliveries then move only through runOnce (tests). */
  stop() {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Stops the timer, aborts requests in flight (they stay pending) and waits for them to settle. */
  async close() {
    this.stop();
    this.#closed = true;
    this.#abort.abort();
    await Promise.allSettled([...this.#running, this.#scan]);
  }

  /** `tenantId` has a delivery due at `at` (called by emitEvent, redeliver, reactivation). */
  notify(tenantId: string, at: number) {
    this.#versions.set(tenantId, (this.#versions.get(tenantId) ?? 0) + 1);
    const current = this.#due.get(tenantId);
    if (current === undefined || at < current) this.#due.set(tenantId, at);
  }

  /** Organisations with something due, and when (tests and diagnostics). */
  dueTenants(): ReadonlyMap<string, number> {
    return this.#due;
  }

  /** Deliveries in flight now, one per organisation at most. */
  inFlight(): ReadonlySet<string> {
    return this.#busy;
  }

  /**
   * One pass: every organisation whose time has come and which has no request in flight gets a
   * turn, up to maxConcurrent. Resolves when the turns it started have finished.
   */
  async tick() {
    if (this.#closed) return;
    const now = this.deps.clock.now();
    const started: Promise<void>[] = [];
    for (const [tenantId, at] of this.#due) {
      if (this.#busy.size >= this.options.maxConcurrent) break;
      // Out of service (being restored): it keeps its place and gets its turn once back.
      if (at > now || this.#busy.has(tenantId) || this.deps.pool.isOutOfService(tenantId)) continue;
      started.push(this.#startTurn(tenantId));
    }
    await Promise.all(started);
  }

  /**
   * For tests: waits for the startup scan and for turns the timer started, then runs one tick and
   * waits for it. Does not wait for a request that hangs (that is what the timeout bounds).
   */
  async runOnce() {
    this.#startScan();
    await this.#scan;
    await this.settled();
    await this.tick();
  }

  /** Resolves when every turn in flight now has finished. */
  async settled() {
    await Promise.allSettled([...this.#running]);
  }

  #startScan() {
    this.#scan ??= this.#scanAll().catch((e) => this.deps.log(`[webhooks] startup scan failed: ${String(e)}`));
  }

  async #scanAll() {
    const tenants = await this.deps.control.selectFrom("tenants").select("id").where("status", "=", "active").execute();
    for (const { id } of tenants) {
      if (this.#closed) return;
      const next = await this.#withTenant(id, nextDue);
      if (next !== null) this.notify(id, next);
    }
  }

  #startTurn(tenantId: string) {
    this.#busy.add(tenantId);
    const turn = this.#turn(tenantId)
      .catch((e) => this.deps.log(`[webhooks] ${tenantId}: ${String(e)}`))
      .finally(() => {
        this.#busy.delete(tenantId);
        this.#running.delete(turn);
      });
    this.#running.add(turn);
    return turn;
  }

  async #withTenant<T>(tenantId: string, fn: (db: Kysely<TenantDB>) => Promise<T>): Promise<T> {
    const lease = await this.deps.pool.acquire(tenantId);
    try {
      return await fn(lease.db);
    } finally {
      lease.release();
    }
  }

  async #turn(tenantId: string) {
    const tenant = await this.deps.control
      .selectFrom("tenants")
      .select(["status", "name", "slug"])
      .where("id", "=", tenantId)
      .executeTakeFirst();
    if (tenant?.status !== "active") {
      this.#due.delete(tenantId);
      return;
    }
    for (let i = 0; i < this.options.perTurn && !this.#closed; i++) {
      const now = this.deps.clock.now();
      const job = await this.#withTenant(tenantId, (db) =>
        db
          .selectFrom("webhook_deliveries as d")
          .innerJoin("webhooks as w", "w.id", "d.webhook_id")
          .select(["d.id", "d.event", "d.payload", "d.attempts", "w.id as webhook_id", "w.url", "w.secret", "w.owner_id"])
          .where("d.status", "=", "pending")
          .where("w.active", "=", 1)
          .where("d.next_attempt_at", "<=", now)
          .orderBy("d.next_attempt_at")
          .orderBy("d.created_at")
          .limit(1)
          .executeTakeFirst(),
      );
      if (!job) break;
      const scoped = await this.#withTenant(tenantId, (db) => this.#asOwner(db, job, now));
      if (scoped.paused.length > 0) {
        const link = `${this.deps.config.appUrl ?? `http://localhost:${this.deps.config.port}`}/o/${tenant.slug}/settings/webhooks`;
        await this.#withTenant(tenantId, (db) => emailWebhookAdmins(this.deps, db, { name: tenant.name, link }, scoped.paused));
      }
      if (scoped.body === null) continue;
      const result = await this.#attempt(tenantId, { ...job, payload: scoped.body });
      if (this.#closed && !result.ok && result.error === "aborted") return; // shutting down: stays pending as it was
      const attempts = job.attempts + 1;
      const done = this.deps.clock.now();
      const final = result.ok || attempts >= this.options.maxAttempts;
      await this.#withTenant(tenantId, (db) =>
        db
          .updateTable("webhook_deliveries")
          .set({
            status: result.ok ? "delivered" : final ? "failed" : "pending",
            attempts,
            next_attempt_at: final ? null : done + this.options.backoffMs * 2 ** (attempts - 1),
            last_status_code: result.statusCode,
            last_duration_ms: result.durationMs,
            last_error: result.error,
            delivered_at: result.ok ? done : null,
          })
          .where("id", "=", job.id)
          .where("status", "=", "pending")
          .execute(),
      );
    }
    // Requeue at the back (turn order) with the next due time, unless nothing is pending. A notify
    // that came in while this ran wins over what the query saw.
    const version = this.#versions.get(tenantId) ?? 0;
    const next = await this.#withTenant(tenantId, nextDue);
    const earlier = (this.#versions.get(tenantId) ?? 0) !== version ? this.#due.get(tenantId) : undefined;
    this.#due.delete(tenantId);
    const at = Math.min(next ?? Infinity, earlier ?? Infinity);
    if (at !== Infinity) this.#due.set(tenantId, at);
  }

  /**
   * The body as the webhook's owner may see it now, or null when nothing is sent: the owner lost
   * webhook.manage or left (the webhook is paused, and the caller emails the admins), or the event
   * is about something the owner may not see (the delivery is marked skipped, with the reason).
   * The stored payload keeps the event as it happened; the filter runs here, at send time, so a share
   * withdrawn or a role changed after the event still applies (issue 25).
   */
  async #asOwner(
    db: Kysely<TenantDB>,
    job: { id: string; event: string; payload: string; webhook_id: string; owner_id: string | null },
    now: number,
  ): Promise<{ body: string | null; paused: PausedWebhook[] }> {
    const owner = job.owner_id ? await memberView(db, job.owner_id) : null;
    // Every webhook of a lost owner is paused in the same pass, so the admins get one email for all
    // of them rather than one per webhook as each one's next delivery comes due.
    if (!owner || ownerProblem(job.owner_id, owner)) return { body: null, paused: await pauseWebhooksOfLostOwners(db, now) };
    const stored = JSON.parse(job.payload) as { created_at: string; data: Record<string, unknown> };
    const scoped = await scopeEvent(db, owner, job.event, stored.data);
    if (scoped.send) return { body: deliveryBody(job.id, job.event, Date.parse(stored.created_at), scoped.data), paused: [] };
    await db
      .updateTable("webhook_deliveries")
      .set({ status: "skipped", next_attempt_at: null, last_error: `not sent: ${scoped.reason} (the owner's sight)` })
      .where("id", "=", job.id)
      .where("status", "=", "pending")
      .execute();
    return { body: null, paused: [] };
  }

  async #attempt(
    tenantId: string,
    job: { id: string; event: string; payload: string; webhook_id: string; url: string; secret: Buffer },
  ): Promise<Attempt> {
    const started = performance.now();
    const failed = (error: string, statusCode: number | null = null): Attempt => ({
      ok: false,
      statusCode,
      durationMs: Math.round(performance.now() - started),
      error,
    });
    let secret: string;
    try {
      secret = (await this.deps.keys.open(secretAad(tenantId, job.webhook_id), job.secret)).toString("utf8");
    } catch {
      return failed("the signing secret cannot be decrypted; rotate it");
    }
    const hostProblem = await privateHostProblem(job.url, allowPrivateHosts(this.deps.config));
    if (hostProblem) return failed(hostProblem);
    const timestamp = Math.floor(this.deps.clock.now() / 1000);
    try {
      const response = await fetch(job.url, {
        method: "POST",
        redirect: "manual",
        headers: {
          "content-type": "application/json",
          "user-agent": "opslayer-webhooks/1",
          "x-opslayer-event": job.event,
          "x-opslayer-delivery": job.id,
          "x-opslayer-timestamp": String(timestamp),
          "x-opslayer-signature": signature(secret, timestamp, job.payload),
        },
        body: job.payload,
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs), this.#abort.signal]),
      });
      // The answer's body is not needed: drop it rather than read whatever the receiver sends.
      await response.body?.cancel().catch(() => undefined);
      const ok = response.status >= 200 && response.status < 300;
      return ok
        ? { ok, statusCode: response.status, durationMs: Math.round(performance.now() - started), error: null }
        : failed(`HTTP ${response.status}`, response.status);
    } catch (error) {
      if (this.#abort.signal.aborted) return failed("aborted");
      const e = error as Error & { cause?: { code?: string; message?: string } };
      if (e.name === "TimeoutError") return failed(`no answer within ${this.options.timeoutMs} ms`);
      return failed((e.cause?.code ?? e.cause?.message ?? e.message).slice(0, 300));
    }
  }
}

/** The earliest next_attempt_at of a pending delivery of an active webhook, or null. */
async function nextDue(db: Kysely<TenantDB>): Promise<number | null> {
  const row = await db
    .selectFrom("webhook_deliveries as d")
    .innerJoin("webhooks as w", "w.id", "d.webhook_id")
    .select((eb) => eb.fn.min("d.next_attempt_at").as("at"))
    .where("d.status", "=", "pending")
    .where("w.active", "=", 1)
    .executeTakeFirst();
  return row?.at ?? null;
}
