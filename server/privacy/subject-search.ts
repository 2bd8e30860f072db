import { sql } from "kysely";
import { tenantDb } from "../../db/tenant/context";
import { SUBJECT_FIELDS, type SubjectField } from "./subject-fields";
import { countMatches, excerpt, fingerprint, type SubjectTerm } from "./subject-term";

/** The most matches one search lists; a wider one asks for a more precise term. */
export const MAX_MATCHES = 200;
/**
 * Rows the SQL prefilter may hand over per column. The prefilter is a substring test (a cheap
 * instr() on the column), so it also returns cells where the term only occurs inside a longer
 * address; the whole-token test in JavaScript drops those.
 */
const PREFILTER_ROWS = 5_000;

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

/** The cells of one column that contain the term as a whole token. */
export async function matchingCells(field: SubjectField, term: SubjectTerm, limit = PREFILTER_ROWS) {
  const col = sql.ref(`${field.table}.${field.column}`);
  const contains = term.needles.map((n) => sql`instr(unicode_lower(${col}), ${n}) > 0`);
  const locked = field.lockedWhen ? sql.raw(`(${field.lockedWhen.sql})`) : sql.lit(0);
  const { rows } = await sql<Cell>`select ${sql.ref(`${field.table}.${field.idColumn}`)} as rid, ${col} as v,
      ${locked} as locked, ${invoiceOf(field)} as invoice
    from ${sql.table(field.table)}
    where typeof(${col}) = 'text' and ${sql.join(contains, sql` and `)}
    order by ${sql.ref(`${field.table}.rowid`)} limit ${limit}`.execute(tenantDb());
  return rows.filter((r) => term.regex().test(r.v));
}

/** Every whole-token match in the organisation's own file, in catalogue order, capped. */
export async function searchSubject(term: SubjectTerm): Promise<{ matches: SubjectMatch[]; truncated: boolean }> {
  const matches: SubjectMatch[] = [];
  for (const field of SUBJECT_FIELDS) {
    for (const cell of await matchingCells(field, term)) {
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
