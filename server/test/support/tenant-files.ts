import { createHash } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { tenantFilePath } from "../../../db/tenant/paths";

/** A digest of every row of every table in a tenant file, read through a separate connection. */
export function tenantDigest(dataDir: string, tenantId: string) {
  const db = new Database(tenantFilePath(dataDir, tenantId), { readonly: true, fileMustExist: true });
  try {
    const hash = createHash("sha256");
    const tables = db.prepare("select name from sqlite_master where type = 'table' order by name").pluck().all() as string[];
    for (const table of tables) {
      hash.update(table);
      hash.update(JSON.stringify(db.prepare(`select * from "${table}" order by rowid`).all()));
    }
    return hash.digest("hex");
  } finally {
    db.close();
  }
}

export function tenantRows<T = Record<string, unknown>>(dataDir: string, tenantId: string, sql: string): T[] {
  const db = new Database(tenantFilePath(dataDir, tenantId), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** Every file under a directory (databases with their -wal and -shm, blobs, keys): what a scan for leftovers reads. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
