import { sql } from "kysely";
import { tenantDb } from "../../db/tenant/context";
import { SUBJECT_FIELDS, type SubjectField } from "./subject-fields";
import { countMatches, excerpt, fingerprint, type SubjectTerm } from "./subject-term";

/** The most matches one search lists; a wider one asks for a more precise term. */
export const MAX_MATCHES = 200;
/**
 * Rows one query reads, by rowid range. better-sqlite3 is synchronous, so a single query over a
 * large table would hold the event loop (every organisation's requests) for its whole duration:
 * measured 1.5 s for 200,000 rows of 400 characters. In slices, other requests run in between.
 */
const SLICE_ROWS = 5_000;

export interface SubjectMatch {
  table: string;
  field: string;
  label: string;
  rowId: string;
  occurrences: number;
  excerpt: string;
  /** Of the whole cell: a redaction names it, and is refused if the text has changed since. */
  fingerprint: string;
  /** Why this cell cannot be redacted here; null when it can. */
  locked: string | null;
  /** For invoice rows and lines: the invoice, so an issued one can get a redacted-copy note. */
  invoiceId: string | null;
}

interface Cell {
  rid: string | number;
  v: string;
  locked: number;
  invoice: string | null;
}

function invoiceOf(field: SubjectField) {
  if (field.table === "invoices") return sql.ref(`invoices.id`);
  if (field.table === "invoice_lines" || field.table === "payments") return sql.ref(`${field.table}.invoice_id`);
  return sql.lit(null);
}

const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The cells of one column that contain the term as a whole token, in rowid order, stopping once
 * `limit` are found. The SQL prefilter is a substring test (instr on the Unicode-lower-cased
 * column), so it also passes cells where the term only occurs inside a longer address; the
 * whole-token test in JavaScript drops those, and the scan goes on past them to the end.
 */
export async function matchingCells(field: SubjectField, term: SubjectTerm, limit: number) {
  const col = sql.ref(`${field.table}.${field.column}`);
  const rowid = sql.ref(`${field.table}.rowid`);
  const contains = term.needles.map((n) => sql`instr(unicode_lower(${col}), ${n}) > 0`);
  const locked = field.lockedWhen ? sql.raw(`(${field.lockedWhen.sql})`) : sql.lit(0);
  const last = (await sql<{ m: number | null }>`select max(rowid) as m from ${sql.table(field.table)}`.execute(tenantDb())).rows[0]?.m ?? 0;
  const found: Cell[] = [];
  for (let from = 0; from <= last && found.length < limit; from += SLICE_ROWS) {
    if (from > 0) await yieldToOthers();
    const { rows } = await sql<Cell>`select ${sql.ref(`${field.table}.${field.idColumn}`)} as rid, ${col} as v,
        ${locked} as locked, ${invoiceOf(field)} as invoice
      from ${sql.table(field.table)}
      where ${rowid} > ${from} and ${rowid} <= ${from + SLICE_ROWS}
        and typeof(${col}) = 'text' and ${sql.join(contains, sql` and `)}
      order by ${rowid}`.execute(tenantDb());
    for (const r of rows) if (found.length < limit && term.regex().test(r.v)) found.push(r);
  }
  return found;
}

/** Every whole-token match in the organisation's own file, in catalogue order, capped. */
export async function searchSubject(term: SubjectTerm): Promise<{ matches: SubjectMatch[]; truncated: boolean }> {
  const matches: SubjectMatch[] = [];
  for (const field of SUBJECT_FIELDS) {
    // One more than fits, so a full list can say that more exist.
    for (const cell of await matchingCells(field, term, MAX_MATCHES + 1 - matches.length)) {
      if (matches.length === MAX_MATCHES) return { matches, truncated: true };
      matches.push({
        table: field.table,
        field: field.column,
        label: field.label,
        rowId: String(cell.rid),
        occurrences: countMatches(term, cell.v),
        excerpt: excerpt(term, cell.v),
        fingerprint: fingerprint(cell.v),
        locked: field.readOnly ?? (cell.locked ? field.lockedWhen!.reason : null),
        invoiceId: cell.invoice,
      });
    }
  }
  return { matches, truncated: false };
}
