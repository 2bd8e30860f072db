import type { TenantCalls } from "../calls";

/**
 * Valid inputs for the data subject request procedures. The search looks for the seeded client's
 * contact address, so inside the target organisation it answers with that organisation's own rows
 * only. The redaction names a cell by the target's client id with a fingerprint no search gave, so
 * a caller who gets past the door is refused (stale, or not found in their own organisation) and
 * nothing is written; a successful redaction is subject-requests.test.ts's job.
 */
export const subjectRequestsCalls: TenantCalls = {
  "subjectRequests.search": {
    kind: "query",
    input: (t) => ({ org: t.slug, kind: "email", term: `billing@${t.slug}.test` }),
    foreignIds: "answered",
  },
  "subjectRequests.redact": {
    kind: "mutation",
    input: (t) => ({
      org: t.slug,
      kind: "email",
      term: `billing@${t.slug}.test`,
      selections: [{ table: "clients", field: "contact_email", rowId: t.clientId, fingerprint: "0".repeat(32) }],
    }),
  },
  "subjectRequests.noteRedactedCopy": {
    kind: "mutation",
    input: (t) => ({ org: t.slug, invoiceId: t.issuedInvoiceId, note: "Redacted copy sent by post" }),
  },
};

/** Bad inputs for the data subject request procedures (see bad-input.test.ts). */
export const subjectRequestsBadInputs = (org: string): Record<string, unknown[]> => {
  const ok = { org };
  const pick = { table: "clients", field: "notes", rowId: "c" + "a".repeat(24), fingerprint: "a".repeat(32) };
  const redact = { ...ok, kind: "email", term: "someone@example.test", selections: [pick] };
  return {
    "subjectRequests.search": [
      { ...ok },
      { ...ok, kind: "phone", term: "12345" },
      { ...ok, kind: "email", term: "no-at-sign" },
      { ...ok, kind: "email", term: "   " },
      { ...ok, kind: "email", term: "two words@example.test" },
      { ...ok, kind: "name", term: "A" },
      { ...ok, kind: "name", term: "  " },
      { ...ok, kind: "name", term: "x".repeat(255) },
    ],
    "subjectRequests.redact": [
      { ...redact, selections: [] },
      { ...redact, selections: [{ ...pick, table: "sqlite_master" }] },
      { ...redact, selections: [{ ...pick, field: "notes; drop table clients" }] },
      { ...redact, selections: [{ ...pick, fingerprint: "not-hex" }] },
      { ...redact, selections: Array.from({ length: 201 }, () => pick) },
      { ...redact, replacement: "" },
      { ...redact, replacement: "x".repeat(61) },
      { ...redact, term: "@" },
    ],
    "subjectRequests.noteRedactedCopy": [
      { ...ok, invoiceId: "$clientId", note: "Sent" },
      { ...ok, invoiceId: "i" + "a".repeat(24), note: "" },
      { ...ok, invoiceId: "i" + "a".repeat(24), note: "x".repeat(1001) },
    ],
  };
};
