import type { Instance } from "./instance";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import Database from "better-sqlite3";
import { tenantFilePath } from "../../../db/tenant/paths";
import { ERASABLE_FIELDS } from "../../privacy/erase-member";

/**
 * Row-by-row comparison of a tenant file before and after something, for the erasure tests
 * (issue 24). Rows are keyed by their primary key, not rowid: VACUUM (the compaction job)
 * renumbers the rowids of tables without an INTEGER PRIMARY KEY.
 */

type Row = Record<string, unknown>;
export type Snapshot = Map<string, Map<string, Row>>;

export function tenantSnapshot(dataDir: string, tenantId: string): Snapshot {
  const db = new Database(tenantFilePath(dataDir, tenantId), { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")
      .pluck()
      .all() as string[];
    const snapshot: Snapshot = new Map();
    for (const table of tables) {
      const pk = (db.prepare(`select name, pk from pragma_table_info(?) where pk > 0 order by pk`).all(table) as { name: string }[]).map(
        (c) => c.name,
      );
      const rows = new Map<string, Row>();
      for (const row of db.prepare(`select * from "${table}"`).all() as Row[]) {
        rows.set(JSON.stringify(pk.length ? pk.map((c) => row[c]) : row, bufferSafe), row);
      }
      snapshot.set(table, rows);
    }
    return snapshot;
  } finally {
    db.close();
  }
}

const bufferSafe = (_key: string, value: unknown) =>
  value && typeof value === "object" && (value as { type?: string }).type === "Buffer" ? `buffer:${JSON.stringify(value)}` : value;

export interface TenantDiff {
  /** "table.column" of every cell that changed in a row present before and after. */
  updated: Set<string>;
  /** Rows gone, per table. */
  deleted: Map<string, Row[]>;
  /** Rows new, per table. */
  inserted: Map<string, Row[]>;
}

export function diffSnapshots(before: Snapshot, after: Snapshot): TenantDiff {
  const diff: TenantDiff = { updated: new Set(), deleted: new Map(), inserted: new Map() };
  const tables = new Set([...before.keys(), ...after.keys()]);
  for (const table of tables) {
    const a = before.get(table) ?? new Map<string, Row>();
    const b = after.get(table) ?? new Map<string, Row>();
    for (const [key, row] of a) {
      const next = b.get(key);
      if (!next) {
        diff.deleted.set(table, [...(diff.deleted.get(table) ?? []), row]);
        continue;
      }
      for (const column of new Set([...Object.keys(row), ...Object.keys(next)])) {
        if (JSON.stringify(row[column], bufferSafe) !== JSON.stringify(next[column], bufferSafe)) diff.updated.add(`${table}.${column}`);
      }
    }
    for (const [key, row] of b) if (!a.has(key)) diff.inserted.set(table, [...(diff.inserted.get(table) ?? []), row]);
  }
  return diff;
}

/**
 * What a diff holds beyond what erasing `userId` may change (ERASABLE_FIELDS): an empty list when
 * the erasure kept to its bounds. Deleted rows must name the user; the one inserted row is the
 * system's "member.account_deleted" audit row about them.
 */
export function beyondErasure(diff: TenantDiff, userId: string): string[] {
  const allowed = new Set(ERASABLE_FIELDS.updated.map(([t, c]) => `${t}.${c}`));
  const problems = [...diff.updated].filter((field) => !allowed.has(field)).map((f) => `updated ${f}`);
  for (const [table, rows] of diff.deleted) {
    if (!(ERASABLE_FIELDS.deletedFrom as readonly string[]).includes(table)) problems.push(`deleted from ${table}`);
    else
      for (const r of rows) if (r.user_id !== userId && r.subject_id !== userId) problems.push(`deleted someone else's row from ${table}`);
  }
  for (const [table, rows] of diff.inserted) {
    for (const r of rows) {
      if (table !== "audit_log" || r.action !== "member.account_deleted" || r.target_id !== userId) problems.push(`inserted into ${table}`);
    }
  }
  return problems;
}

/** A tenant file and its WAL, as bytes (a missing WAL reads as empty). */
export function tenantFileBytes(dataDir: string, tenantId: string): Buffer[] {
  const file = tenantFilePath(dataDir, tenantId);
  return ["", "-wal"].map((suffix) => (existsSync(file + suffix) ? readFileSync(file + suffix) : Buffer.alloc(0)));
}

/** SHA-256 of every table's rows in primary-key order: equal when the file is logically unchanged. */
export function tableChecksums(dataDir: string, tenantId: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [table, rows] of tenantSnapshot(dataDir, tenantId)) {
    const keys = [...rows.keys()].sort();
    out[table] = createHash("sha256")
      .update(
        JSON.stringify(
          keys.map((k) => rows.get(k)),
          bufferSafe,
        ),
      )
      .digest("hex");
  }
  return out;
}

/** Every tenant id the instance's pool opened while `during` ran (the pool is the only door to a file). */
export async function tenantsOpenedBy(instance: Instance, during: () => Promise<void>): Promise<Set<string>> {
  const opened = new Set<string>();
  const { pool } = instance.services;
  const acquire = pool.acquire.bind(pool);
  pool.acquire = (tenantId: string) => {
    opened.add(tenantId);
    return acquire(tenantId);
  };
  try {
    await during();
  } finally {
    pool.acquire = acquire;
  }
  return opened;
}
