import { open } from "node:fs/promises";
import { sql, type Kysely, type Transaction } from "kysely";

/**
 * Erasing a person from a SQLite file, down to its bytes. Rewriting a row is not enough: SQLite
 * leaves the old cell in the page's free space, earlier versions of the page sit in the WAL, and
 * rows deleted long ago (a removed membership) linger in free pages. So the rewrite runs with
 * secure_delete on, and the file is then VACUUMed (every page rewritten, free pages dropped) and its
 * WAL checkpointed and truncated to zero bytes.
 */

export interface Person {
  email: string;
  name: string;
  pseudonym: string;
  pseudonymEmail: string;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** What is searched for, and how far. */
export class Replacer {
  readonly email: string;
  readonly name: string | null;
  /**
   * A full name ("Ada Lovelace") is replaced wherever it appears; a one-word name ("Mark") only in
   * the columns that copy identities (member rows, audit and security log details, webhook
   * payloads), where it cannot be an ordinary word in someone's text.
   */
  readonly nameEverywhere: boolean;
  readonly #emailRe: RegExp;
  readonly #nameRe: RegExp | null;
  readonly #given: string[];

  constructor(readonly person: Person) {
    this.email = person.email.trim().toLowerCase();
    this.#given = [person.email.trim()];
    const name = person.name.trim();
    // One or two letters are no identifier: replacing them would shred unrelated text.
    this.name = name.length >= 3 ? name : null;
    this.nameEverywhere = this.name !== null && /\s/.test(this.name) && this.name.length >= 5;
    if (this.nameEverywhere) this.#given.push(this.name!);
    this.#emailRe = new RegExp(escapeRegExp(this.email), "giu");
    this.#nameRe = this.name ? new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(this.name)}(?![\\p{L}\\p{N}])`, "giu") : null;
  }

  replace(text: string, withName: boolean): string {
    let out = text.replace(this.#emailRe, this.person.pseudonymEmail);
    if (withName && this.#nameRe) out = out.replace(this.#nameRe, this.person.pseudonym);
    return out;
  }

  /**
   * Needles for fileContains: the email, and the name only when it is a full name. The scan folds
   * ASCII only (it reads bytes, not characters), so each is given in the forms text is likely stored
   * in (as typed, lower-case, upper-case), each then ASCII-folded like the bytes it is compared with:
   * "Émilie" is stored with "É", which no byte-level folding turns into "é".
   */
  rawNeedles(): string[] {
    const forms = this.#given.flatMap((n) => [n, n.toLowerCase(), n.toUpperCase()]);
    return [...new Set(forms.map(asciiLower))];
  }

  /** The same search, by email only: for files where the name may well be someone else's. */
  emailOnly(): Replacer {
    return new Replacer({ ...this.person, name: "" });
  }
}

interface TriggerRow {
  name: string;
  sql: string;
}

/**
 * Runs `fn` with the table's triggers dropped, and recreates them from their own stored text
 * afterwards, inside the caller's transaction (SQLite DDL is transactional: a failure restores
 * them). Erasure is the one writer allowed past the append-only audit log and the locks on invoiced
 * time and issued invoices: those protect records from edits, not people from being forgotten.
 */
export async function withTriggersSuspended<DB>(trx: Transaction<DB>, table: string, fn: () => Promise<void>) {
  const triggers = (await sql<TriggerRow>`select name, sql from sqlite_master where type = 'trigger' and tbl_name = ${table}`.execute(trx))
    .rows;
  for (const t of triggers) await sql`drop trigger ${sql.id(t.name)}`.execute(trx);
  await fn();
  for (const t of triggers) await sql.raw(t.sql).execute(trx);
}

/** Rewrites one table's cells by rowid, past its triggers. */
export async function updateCells<DB>(trx: Transaction<DB>, table: string, cells: { rowid: number; column: string; value: unknown }[]) {
  if (!cells.length) return;
  await withTriggersSuspended(trx, table, async () => {
    for (const c of cells) await sql`update ${sql.id(table)} set ${sql.id(c.column)} = ${c.value} where rowid = ${c.rowid}`.execute(trx);
  });
}

/**
 * Replaces the person's email (and name, see Replacer) in every text cell of every table. The SQL
 * prefilter folds case with unicode_lower (registered by openSqlite), the same folding as the
 * JavaScript needles; SQLite's own lower() would miss "ÉMILIE" for "émilie".
 * `tables.people` names the table of accounts or members, whose own row the caller rewrites.
 * Returns the number of cells changed.
 */
export async function scrubAllText<DB>(
  trx: Transaction<DB>,
  replacer: Replacer,
  tables: { identity: ReadonlySet<string>; people: string },
): Promise<number> {
  const all = (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(trx))
    .rows;
  let changed = 0;
  for (const { name: table } of all) {
    // The table of people (users, members) is never searched by name: someone else may share it.
    const withName = replacer.name !== null && table !== tables.people && (replacer.nameEverywhere || tables.identity.has(table));
    const columns = (await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(trx)).rows;
    const cells: { rowid: number; column: string; value: unknown }[] = [];
    for (const { name: column } of columns) {
      const col = sql.id(column);
      const match = withName
        ? sql`(instr(unicode_lower(${col}), ${replacer.email}) > 0 or instr(unicode_lower(${col}), ${replacer.name.toLowerCase()}) > 0)`
        : sql`instr(unicode_lower(${col}), ${replacer.email}) > 0`;
      const rows = (
        await sql<{
          rid: number;
          v: string;
        }>`select rowid as rid, ${col} as v from ${sql.id(table)} where typeof(${col}) = 'text' and ${match}`.execute(trx)
      ).rows;
      for (const r of rows) {
        const next = replacer.replace(r.v, withName);
        if (next !== r.v) cells.push({ rowid: r.rid, column, value: next });
      }
    }
    await updateCells(trx, table, cells);
    changed += cells.length;
  }
  return changed;
}

/**
 * The whole erasure of one file: `work` runs in one transaction with secure_delete on, then the file
 * is rebuilt and its WAL emptied. Holds the handle's only connection throughout, so no other query
 * on this handle interleaves. Returns false when the WAL could not be truncated (another process
 * holds the file open); the caller reports it.
 */
export async function eraseInFile<DB>(db: Kysely<DB>, work: (trx: Transaction<DB>) => Promise<void>): Promise<{ walTruncated: boolean }> {
  return db.connection().execute(async (conn) => {
    const before = (await sql<{ secure_delete: number }>`pragma secure_delete`.execute(conn)).rows[0]?.secure_delete ?? 0;
    await sql`pragma secure_delete = 1`.execute(conn);
    try {
      await conn.transaction().execute(work);
    } finally {
      await sql.raw(`pragma secure_delete = ${before ? 1 : 0}`).execute(conn);
    }
    await sql`vacuum`.execute(conn);
    const checkpoint = (await sql<{ busy: number }>`pragma wal_checkpoint(TRUNCATE)`.execute(conn)).rows[0];
    return { walTruncated: checkpoint?.busy === 0 };
  });
}

const CHUNK = 1 << 20;

/** ASCII-lower-cases in place; Replacer.rawNeedles supplies the other case forms of a name. */
function lowerAscii(buf: Buffer) {
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (b >= 0x41 && b <= 0x5a) buf[i] = b + 0x20;
  }
  return buf;
}

const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** Whether any of the needles (ASCII-lower-case, see rawNeedles) occurs in the file's bytes; false for a missing file. */
export async function fileContains(path: string, needles: string[]): Promise<boolean> {
  const patterns = needles.filter((n) => n.length > 0).map((n) => Buffer.from(n, "utf8"));
  if (!patterns.length) return false;
  const overlap = Math.max(...patterns.map((p) => p.length)) - 1;
  let handle;
  try {
    handle = await open(path, "r");
  } catch {
    return false;
  }
  try {
    let carry = Buffer.alloc(0);
    const chunk = Buffer.alloc(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, CHUNK, null);
      if (bytesRead === 0) return false;
      const window = lowerAscii(Buffer.concat([carry, chunk.subarray(0, bytesRead)]));
      if (patterns.some((p) => window.includes(p))) return true;
      carry = Buffer.from(window.subarray(Math.max(0, window.length - overlap)));
    }
  } finally {
    await handle.close();
  }
}
