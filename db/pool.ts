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
  ready: Promise<Kysely<TenantDB>>;
  refs: number;
  evicted: boolean;
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

  async acquire(tenantId: string): Promise<TenantLease> {
    let entry = this.#entries.get(tenantId);
    if (entry) {
      this.#entries.delete(tenantId);
    } else {
      entry = { ready: this.#open(tenantId), refs: 0, evicted: false };
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
        if (entry.evicted && entry.refs === 0) void destroyHandle(db);
        else this.#evictOverflow();
      },
    };
  }

  /** Closes a tenant's handle now, e.g. before its file is deleted or restored. */
  async close(tenantId: string) {
    const entry = this.#entries.get(tenantId);
    if (!entry) return;
    this.#entries.delete(tenantId);
    entry.evicted = true;
    if (entry.refs > 0) return;
    const db = await entry.ready.catch(() => null);
    if (db) await destroyHandle(db);
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
      void entry.ready.then(destroyHandle, () => undefined);
    }
  }
}
