import { createHash } from "node:crypto";
import Database from "better-sqlite3";

/** What a database holds, table by table: enough to tell that a copy is the file it was copied from. */
export interface ContentDigest {
  pages: number;
  tables: { name: string; rows: number; sha256: string }[];
}

/**
 * Row counts and a sha256 of every row of every table, read in rowid (or primary key) order on a
 * connection of its own. A restore compares the live file's digest after the copy with the staged
 * file's: the copy reporting success is not taken on its word (issue 29).
 */
export function contentDigest(path: string): ContentDigest {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.defaultSafeIntegers(true); // a 64-bit integer is hashed exactly, not as a rounded double
    const pages = Number(db.pragma("page_count", { simple: true }));
    const list = db.prepare("select name, wr from pragma_table_list where schema = 'main' and type = 'table' order by name").all() as {
      name: string;
      wr: bigint;
    }[];
    const tables = list
      .filter((t) => !t.name.startsWith("sqlite_stat"))
      .map(({ name, wr }) => {
        const quoted = `"${name.replaceAll('"', '""')}"`;
        // A WITHOUT ROWID table is stored in primary key order, which is also how it is scanned.
        const rows = db.prepare(`select * from ${quoted}${wr ? "" : " order by rowid"}`).raw();
        const hash = createHash("sha256");
        let count = 0;
        for (const row of rows.iterate() as IterableIterator<unknown[]>) {
          count++;
          hash.update(serialise(row));
        }
        return { name, rows: count, sha256: hash.digest("hex") };
      });
    return { pages, tables };
  } finally {
    db.close();
  }
}

function serialise(row: unknown[]) {
  return `${row
    .map((v) => {
      if (v === null) return "n";
      if (typeof v === "bigint") return `i${v}`;
      if (typeof v === "number") return `r${v}`;
      if (typeof v === "string") return `t${v.length}:${v}`;
      if (Buffer.isBuffer(v)) return `b${v.toString("hex")}`;
      throw new Error(`unexpected SQLite value of type ${typeof v}`);
    })
    .join("|")}\n`;
}

/** The first difference between what was staged and what the live file holds, as a sentence; null when none. */
export function digestDifference(expected: ContentDigest, actual: ContentDigest): string | null {
  if (expected.pages !== actual.pages) return `the live file has ${actual.pages} pages where the backup has ${expected.pages}`;
  const live = new Map(actual.tables.map((t) => [t.name, t]));
  for (const t of expected.tables) {
    const got = live.get(t.name);
    if (!got) return `table ${t.name} is missing from the live file`;
    if (got.rows !== t.rows) return `table ${t.name} has ${got.rows} rows in the live file where the backup has ${t.rows}`;
    if (got.sha256 !== t.sha256) return `table ${t.name} holds other content than the backup (same ${t.rows} rows, different checksum)`;
    live.delete(t.name);
  }
  const extra = [...live.keys()];
  return extra.length ? `the live file has tables the backup does not: ${extra.join(", ")}` : null;
}
