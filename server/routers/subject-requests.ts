import { z } from "zod";
import { inTenantTransaction, tenantDb } from "../../db/tenant/context";
import { audit } from "../audit/audit";
import { SUBJECT_TABLES } from "../privacy/subject-fields";
import { duplicateSelection, redactCells } from "../privacy/subject-redact";
import { searchSubject } from "../privacy/subject-search";
import { normaliseTerm, subjectTerm, termDigest, type TermKind } from "../privacy/subject-term";
import { badRequest, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { idSchema, orgInput } from "./inputs";

const PERMISSION = { permission: "privacy.subject_requests" } as const;

/**
 * An email is one token with an @ and no whitespace; a name is at least two letters. Both are
 * checked after normalising, so "  " or a lone "@" never becomes a search for everything.
 */
const termFields = {
  kind: z.enum(["email", "name"]),
  term: z.string().max(254, "Use at most 254 characters."),
};
function termIsUsable(v: { kind: TermKind; term: string }) {
  const t = normaliseTerm(v.kind, v.term);
  if (v.kind === "email") return /^[^\s@]+@[^\s@]+$/u.test(t);
  return (t.match(/\p{L}/gu)?.length ?? 0) >= 2;
}
const TERM_ERROR = { message: "Enter a whole email address, or a name of at least two letters.", path: ["term"] };

const selection = z.object({
  table: z.enum(SUBJECT_TABLES),
  field: z.string().regex(/^[a-z_]{1,40}$/, "Not a field name."),
  rowId: z.string().min(1).max(100),
  fingerprint: z.string().regex(/^[0-9a-f]{32}$/, "Not a fingerprint from a search."),
});

const replacementSchema = z
  .string()
  .trim()
  .min(1, "Give the text that replaces the term.")
  .max(60, "Use at most 60 characters.")
  .default("[redacted]");

export const subjectRequestsRouter = router({
  /** Lists every whole-token match in the organisation's own records; reads only. */
  search: tenantProcedure
    .meta(PERMISSION)
    .input(orgInput.extend(termFields).refine(termIsUsable, TERM_ERROR))
    .query(async ({ input }) => {
      const term = subjectTerm(input.kind, input.term);
      return { kind: term.kind, term: term.text, ...(await searchSubject(term)) };
    }),

  /**
   * Replaces the term in the chosen cells, all or none, and records one audit row naming each cell
   * changed, with the term's length and a salted hash rather than the term (see termDigest).
   */
  redact: tenantProcedure
    .meta(PERMISSION)
    .input(
      orgInput
        .extend({
          ...termFields,
          replacement: replacementSchema,
          selections: z.array(selection).min(1, "Choose at least one match.").max(200, "Choose at most 200 matches at a time."),
        })
        .refine(termIsUsable, TERM_ERROR),
    )
    .mutation(({ ctx, input }) => {
      const term = subjectTerm(input.kind, input.term);
      if (term.regex().test(input.replacement)) throw badRequest("The replacement must not contain the term itself.");
      const twice = duplicateSelection(input.selections);
      if (twice) throw badRequest(`${twice} is chosen twice.`);
      return inTenantTransaction(async () => {
        const redacted = await redactCells(term, input.replacement, input.selections, Date.now());
        await audit(ctx.actor, "privacy.subject_redact", null, {
          kind: term.kind,
          termLength: [...term.text].length,
          termSha256: termDigest(ctx.tenant.id, term),
          replacement: input.replacement,
          redacted,
        });
        return { redacted };
      });
    }),

  /**
   * An issued invoice is never rewritten; the organisation records instead that it gave the person a
   * redacted copy. The note lives in the audit log, append-only like the invoice itself, so nothing
   * about the issued document changes.
   */
  noteRedactedCopy: tenantProcedure
    .meta(PERMISSION)
    .input(
      orgInput.extend({
        invoiceId: idSchema("i"),
        note: z.string().trim().min(1, "Say what was provided, and to whom.").max(1000, "Use at most 1,000 characters."),
      }),
    )
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const invoice = await tenantDb()
          .selectFrom("invoices")
          .select(["id", "number", "status"])
          .where("id", "=", input.invoiceId)
          .executeTakeFirst();
        if (!invoice) throw notFound("Invoice");
        if (invoice.status === "draft") throw badRequest("This invoice is still a draft: redact its text instead.");
        await audit(ctx.actor, "invoice.redacted_copy", { type: "invoice", id: invoice.id }, { number: invoice.number, note: input.note });
        return { invoiceId: invoice.id, number: invoice.number };
      }),
    ),
});
