import { TRPCError } from "@trpc/server";
import { sql } from "kysely";
import { tenantDb } from "../../db/tenant/context";
import { badRequest, conflict, isUniqueViolation } from "../trpc/errors";
import { subjectField, type SubjectField } from "./subject-fields";
import { countMatches, fingerprint, type SubjectTerm } from "./subject-term";

export interface Selection {
  table: string;
  field: string;
  rowId: string;
  fingerprint: string;
}

export interface Redacted {
  table: string;
  field: string;
  rowId: string;
  occurrences: number;
}

interface Row {
  v: unknown;
  locked: number;
}

const where = (s: Selection) => `${s.table}.${s.field} of ${s.rowId}`;

function fieldOf(s: Selection): SubjectField {
  const field = subjectField(s.table, s.field);
  if (!field) throw badRequest(`${s.table}.${s.field} is not a field a data subject request can change.`);
  if (field.readOnly) throw badRequest(`${field.label} (${s.rowId}) cannot be redacted: ${field.readOnly}`);
  return field;
}

/**
 * Replaces the term in each selected cell, in the caller's transaction, after checking each cell
 * is still the very text the reviewer saw (its fingerprint) and may be changed. Every refusal is
 * raised before the first write of its cell and rolls the whole request back: a request is done
 * entirely or not at all. Locked rows are refused here, in words, before the database's triggers
 * (issued invoices, invoiced time) would refuse them with an abort.
 */
export async function redactCells(term: SubjectTerm, replacement: string, selections: Selection[], now: number): Promise<Redacted[]> {
  const done: Redacted[] = [];
  for (const s of selections) {
    const field = fieldOf(s);
    const id = field.numericId ? Number(s.rowId) : s.rowId;
    const locked = field.lockedWhen ? sql.raw(`(${field.lockedWhen.sql})`) : sql.lit(0);
    const row = (
      await sql<Row>`select ${sql.ref(`${field.table}.${field.column}`)} as v, ${locked} as locked
        from ${sql.table(field.table)} where ${sql.ref(`${field.table}.${field.idColumn}`)} = ${id}`.execute(tenantDb())
    ).rows[0];
    // Not found, and without echoing the id: from here an id of another organisation is just absent.
    if (!row)
      throw new TRPCError({
        code: "NOT_FOUND",
        message: `A chosen ${field.label.toLowerCase()} no longer exists. Search again before redacting.`,
      });
    if (row.locked) throw badRequest(`${field.label} ${s.rowId} cannot be redacted: ${field.lockedWhen!.reason}`);
    const value = typeof row.v === "string" ? row.v : "";
    if (fingerprint(value) !== s.fingerprint) {
      throw conflict(`${field.label} ${s.rowId} has changed since your search. Search again and review the new text before redacting.`);
    }
    const occurrences = countMatches(term, value);
    if (occurrences === 0) throw conflict(`${field.label} ${s.rowId} no longer contains this ${term.kind}. Search again.`);
    const next = value.replace(term.regex(), () => replacement);
    const set = field.touchesUpdatedAt
      ? sql`${sql.ref(field.column)} = ${next}, updated_at = ${now}`
      : sql`${sql.ref(field.column)} = ${next}`;
    try {
      await sql`update ${sql.table(field.table)} set ${set} where ${sql.ref(field.idColumn)} = ${id}`.execute(tenantDb());
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw conflict(`${field.label} ${s.rowId} would then equal another row's, which must be unique. Use a different replacement.`);
      }
      if (error instanceof Error && "code" in error && error.code === "SQLITE_CONSTRAINT_CHECK") {
        throw badRequest(`${field.label} ${s.rowId} would then break its length or format rule. Use a shorter replacement.`);
      }
      throw error;
    }
    done.push({ table: s.table, field: s.field, rowId: s.rowId, occurrences });
  }
  return done;
}

export function duplicateSelection(selections: Selection[]): string | null {
  const seen = new Set<string>();
  for (const s of selections) {
    const key = where(s);
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return null;
}
