import { createHash } from "node:crypto";

/**
 * What a data subject request looks for: one email address or one full name, matched as a whole
 * token, case-insensitively and Unicode-aware. Whole-token is the point: the platform's old erasure
 * matched substrings, so `o@victimcorp.example` rewrote `info@victimcorp.example`; here a match must
 * be bounded by characters that cannot continue an address (or a word, for a name).
 */
export type TermKind = "email" | "name";

export interface SubjectTerm {
  kind: TermKind;
  /** As normalised: trimmed, inner whitespace collapsed; emails lower-cased. */
  text: string;
  /** Lower-cased pieces that must all occur in a cell: the SQL prefilter. */
  needles: string[];
  /** A fresh global regex each call: a shared /g regex carries lastIndex between uses. */
  regex: () => RegExp;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// Characters that may continue an address on either side: letters, digits and the punctuation of
// local parts (RFC 5322 atext: "info!o@x.example" and "pager#o@x.example" are other people's
// addresses, and a redaction rewrites every match in a chosen cell) and domains. "=" and "/" are
// left out on purpose: they are where URLs put an address ("?to=o@x.example"), and a local part
// with them is rare. A dot after the address ends it only when no label follows
// ("o@x.example." at a sentence's end matches; "o@x.example.org" does not).
const EMAIL_BEFORE = "(?<![\\p{L}\\p{N}\\p{M}._%+\\-@'!#$&*?^`{|}~])";
const EMAIL_AFTER = "(?![\\p{L}\\p{N}\\p{M}_%+\\-@]|\\.[\\p{L}\\p{N}])";
const WORD_BEFORE = "(?<![\\p{L}\\p{N}\\p{M}])";
const WORD_AFTER = "(?![\\p{L}\\p{N}\\p{M}])";

export function normaliseTerm(kind: TermKind, raw: string): string {
  const collapsed = raw.normalize("NFC").trim().replace(/\s+/gu, " ");
  return kind === "email" ? collapsed.toLowerCase() : collapsed;
}

export function subjectTerm(kind: TermKind, raw: string): SubjectTerm {
  const text = normaliseTerm(kind, raw);
  if (kind === "email") {
    const source = `${EMAIL_BEFORE}${escapeRegExp(text)}${EMAIL_AFTER}`;
    return { kind, text, needles: [text], regex: () => new RegExp(source, "giu") };
  }
  const words = text.split(" ");
  // Any run of whitespace between the words: "Ada  Lovelace" or a line break is the same name.
  const source = `${WORD_BEFORE}${words.map(escapeRegExp).join("\\s+")}${WORD_AFTER}`;
  return { kind, text, needles: [...new Set(words.map((w) => w.toLowerCase()))], regex: () => new RegExp(source, "giu") };
}

export function countMatches(term: SubjectTerm, value: string): number {
  return [...value.matchAll(term.regex())].length;
}

const EXCERPT_SIDE = 40;

/** The first match with some context either side, on one line, so a reviewer sees what it is. */
export function excerpt(term: SubjectTerm, value: string): string {
  const m = term.regex().exec(value);
  if (!m) return "";
  const start = Math.max(0, m.index - EXCERPT_SIDE);
  const end = Math.min(value.length, m.index + m[0].length + EXCERPT_SIDE);
  const oneLine = (s: string) => s.replace(/\s+/gu, " ");
  return `${start > 0 ? "…" : ""}${oneLine(value.slice(start, end))}${end < value.length ? "…" : ""}`;
}

/** Identifies the exact text a reviewer approved; a redaction of anything else is refused as stale. */
export function fingerprint(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex").slice(0, 32);
}

/**
 * What the audit row keeps of the term: never the term in clear, since the audit log is append-only
 * and would keep for years the very data the request erased. A hash salted with the organisation's
 * id lets the organisation answer "did you act on my request?" by hashing the address the person
 * gives again, and is useless against another organisation's log.
 */
export function termDigest(tenantId: string, term: SubjectTerm): string {
  return createHash("sha256").update(`${tenantId}\n${term.kind}\n${term.text.toLowerCase()}`, "utf8").digest("hex");
}
