import type { Kysely } from "kysely";
import { migrateAtomically, migrationsAreCurrent } from "./migrate";
import { destroyHandle, kyselyFor, openSqlite, type Synchronous } from "./sqlite";
import { tenantMigrations } from "./tenant/migrations";
import { tenantFilePath } from "./tenant/paths";
import type { TenantDB } from "./tenant/schema";

export interface TenantLease {
  tenantId: string;
  db: Kysely<TenantDB>;
  release(): void;
}

interface Entry {
  tenantId: string;
  ready: Promise<Kysely<TenantDB>>;
  refs: number;
  evicted: boolean;
  /** Settles once the handle is destroyed (after the last lease of an evicted entry is released). */
  closed?: Promise<void>;
  onClosed?: () => void;
}

/**
 * The organisation is out of service (a restore replaces its file): nothing may open it until the
 * operator's command puts it back. The tenant door answers 503 with Retry-After; jobs skip it.
 */
export class TenantOutOfServiceError extends Error {
  override name = "TenantOutOfServiceError";
  constructor(
    readonly tenantId: string,
    readonly reason: string,
  ) {
    super(`organisation ${tenantId} is out of service (${reason})`);
  }
}

export interface PoolOptions {
  dataDir: string;
  size: number;
  synchronous: Synchronous;
}

/**
 * LRU of open tenant handles. Evicted handles are closed (each WAL database holds three file
 * descriptors and GC closes nothing in time), but only once no request still holds a lease on them.
 */
export class TenantPool {
  readonly #entries = new Map<string, Entry>();
  /** Organisations taken out of service, with why (e.g. "being restored"). */
  readonly #outOfService = new Map<string, string>();
  /** Closed or evicted handles that requests still hold: closed when the last one lets go. */
  readonly #lingering = new Set<Entry>();
  #opens = 0;
  constructor(private readonly options: PoolOptions) {}

  /** How many files this pool has opened since it started; tests use it to prove a refusal opened nothing. */
  get opens() {
    return this.#opens;
  }

  get size() {
    return this.#entries.size;
  }

  isOpen(tenantId: string) {
    return this.#entries.has(tenantId);
  }

  isOutOfService(tenantId: string) {
    return this.#outOfService.has(tenantId);
  }

  /**
   * Refuses every new lease on the organisation, then waits until the requests holding one have
   * released it and its handle is closed: from then on this process has no descriptor on the file.
   * Throws if it is already out of service (a second restore of the same organisation).
   */
  async takeOutOfService(tenantId: string, reason: string) {
    const current = this.#outOfService.get(tenantId);
    if (current !== undefined) throw new Error(`organisation ${tenantId} is already out of service (${current})`);
    this.#outOfService.set(tenantId, reason);
    await this.#closeWhenReleased(tenantId);
  }

  /** The next request opens the file afresh (and sees what the restore wrote). */
  returnToService(tenantId: string) {
    return this.#outOfService.delete(tenantId);
  }

  async acquire(tenantId: string): Promise<TenantLease> {
    const outOfService = this.#outOfService.get(tenantId);
    if (outOfService !== undefined) throw new TenantOutOfServiceError(tenantId, outOfService);
    let entry = this.#entries.get(tenantId);
    if (entry) {
      this.#entries.delete(tenantId);
    } else {
      entry = { tenantId, ready: this.#open(tenantId), refs: 0, evicted: false };
    }
    this.#entries.set(tenantId, entry);
    entry.refs++;
    let db: Kysely<TenantDB>;
    try {
      db = await entry.ready;
    } catch (error) {
      entry.refs--;
      if (this.#entries.get(tenantId) === entry) this.#entries.delete(tenantId);
      throw error;
    }
    this.#evictOverflow();
    let released = false;
    return {
      tenantId,
      db,
      release: () => {
        if (released) return;
        released = true;
        entry.refs--;
        if (entry.evicted && entry.refs === 0) void this.#destroy(entry);
        else this.#evictOverflow();
      },
    };
  }

  /**
   * Closes a tenant's handle now, e.g. before its file is deleted. A handle still leased closes when
   * its last request lets go, without waiting here: a procedure that closes its own organisation
   * holds a lease itself (see takeOutOfService for the waiting kind).
   */
  async close(tenantId: string) {
    const entry = this.#detach(tenantId);
    if (entry && entry.refs === 0) await this.#destroy(entry);
  }

  /** Like close, but settles only once the handle is destroyed, after the requests holding it have finished. */
  async #closeWhenReleased(tenantId: string) {
    const entry = this.#detach(tenantId);
    if (entry && entry.refs === 0) void this.#destroy(entry);
    // Also the handles an earlier close left to their requests.
    const open = [...this.#lingering].filter((e) => e.tenantId === tenantId);
    await Promise.all(open.map((e) => (e.closed ??= new Promise<void>((resolve) => (e.onClosed = resolve)))));
  }

  #detach(tenantId: string) {
    const entry = this.#entries.get(tenantId);
    if (!entry) return null;
    this.#entries.delete(tenantId);
    entry.evicted = true;
    this.#lingering.add(entry);
    return entry;
  }

  async #destroy(entry: Entry) {
    try {
      const db = await entry.ready.catch(() => null);
      if (db) await destroyHandle(db);
    } finally {
      this.#lingering.delete(entry);
      entry.onClosed?.();
    }
  }

  async closeAll() {
    await Promise.all([...this.#entries.keys()].map((id) => this.close(id)));
  }

  async #open(tenantId: string) {
    const file = tenantFilePath(this.options.dataDir, tenantId);
    this.#opens++;
    const raw = openSqlite(file, { synchronous: this.options.synchronous, mustExist: true });
    const db = kyselyFor<TenantDB>(raw);
    try {
      // A pool miss is on the request path: a current file costs one bookkeeping query, not the
      // migrator's introspection; a pending one is upgraded all-or-nothing before anyone reads it.
      if (!migrationsAreCurrent(raw, tenantMigrations)) await migrateAtomically(db, tenantMigrations, `tenant ${tenantId}`);
    } catch (error) {
      await destroyHandle(db);
      throw error;
    }
    return db;
  }

  #evictOverflow() {
    for (const [id, entry] of this.#entries) {
      if (this.#entries.size <= this.options.size) return;
      if (entry.refs > 0) continue;
      this.#entries.delete(id);
      entry.evicted = true;
      this.#lingering.add(entry);
      void this.#destroy(entry);
    }
  }
}
