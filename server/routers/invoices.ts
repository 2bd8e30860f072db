import { z } from "zod";
import { findClient } from "../../db/tenant/clients";
import { inTenantTransaction } from "../../db/tenant/context";
import { emitEvent } from "../webhooks/events";
import { deleteDraft, insertDraft, listInvoices, markIssued, markVoid, nextSequence, updateDraft } from "../../db/tenant/invoices/invoices";
import { deleteLine, findLine, insertLines, listLines, nextPosition } from "../../db/tenant/invoices/lines";
import { releaseEntries, takeUnbilled, takenGroups, unbilledGroups, type UnbilledScope } from "../../db/tenant/invoices/unbilled-time";
import { getOrgSettings } from "../../db/tenant/settings";
import { audit } from "../audit/audit";
import { newId } from "../auth/tokens";
import { dateIn, endOfDayIn, startOfDayIn } from "../billing/dates";
import { dateRange, invoiceId, invoiceStatus, isoDate, lineId, manualLine, RANGE_ORDER, rangeInOrder, taxRateBp } from "../billing/inputs";
import { manualLine as manualRow, numbered, timeLine } from "../billing/lines";
import { invoiceNumber, totalsOf } from "../billing/money";
import { balanceOf, invoiceDetail, label, recomputeTotals, requireDraft, requireInvoice, withinLimits } from "../billing/rules";
import { badRequest, conflict, isUniqueViolation, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { requireDatesInYears } from "./time-rules";
import { tenantProcedure } from "../trpc/procedures";
import { idSchema, notesSchema, orgInput } from "./inputs";
import { deleteAttachmentsOf } from "../../db/tenant/files/attachments";
import { removeAttachmentBlobs } from "../files/cleanup";

async function requireClient(id: string) {
  const client = await findClient(id);
  if (!client) throw notFound("Client");
  return client;
}

/** The range's days, in the organisation's zone, as instants: [first midnight, midnight after the last day). */
function scopeOf(timeZone: string, clientId: string, range: { from: string; to: string }): UnbilledScope {
  return { clientId, fromMs: startOfDayIn(timeZone, range.from), toMs: endOfDayIn(timeZone, range.to) };
}

const createInput = orgInput
  .extend({
    clientId: idSchema("c"),
    from: isoDate.optional(),
    to: isoDate.optional(),
    taxRateBp: taxRateBp.default(0),
    dueDate: isoDate.nullish().transform((v) => v ?? null),
    notes: notesSchema.default(""),
    lines: z.array(manualLine).max(100, "Use at most 100 lines.").default([]),
  })
  .refine((v) => (v.from === undefined) === (v.to === undefined), {
    message: "Give both ends of the date range, or neither.",
    path: ["to"],
  })
  .refine(rangeInOrder, RANGE_ORDER)
  .refine((v) => v.from !== undefined || v.lines.length > 0, {
    message: "Give a date range to bill time, or at least one line.",
    path: ["lines"],
  });

export const invoicesRouter = router({
  list: tenantProcedure
    .meta({ permission: "invoice.read" })
    .input(
      orgInput.extend({
        status: invoiceStatus.optional(),
        clientId: idSchema("c").optional(),
        limit: z.number().int().min(1).max(200).default(50),
        offset: z.number().int().min(0).max(1_000_000).default(0),
      }),
    )
    .query(async ({ input }) => (await listInvoices(input)).map((i) => ({ ...i, balance: balanceOf(i) }))),

  get: tenantProcedure
    .meta({ permission: "invoice.read" })
    .input(orgInput.extend({ id: invoiceId }))
    .query(async ({ ctx, input }) => ({ ...(await invoiceDetail(input.id)), organisation: ctx.tenant.name })),

  /** What a draft for this client and range would bill, without taking anything. */
  preview: tenantProcedure
    .meta({ permission: "invoice.create" })
    .input(orgInput.extend({ clientId: idSchema("c"), ...dateRange }).refine(rangeInOrder, RANGE_ORDER))
    .query(async ({ ctx, input }) => {
      requireDatesInYears({ from: input.from, to: input.to }, ctx.services.config.years);
      await requireClient(input.clientId);
      const { timeZone, currency } = await getOrgSettings();
      const groups = await unbilledGroups(scopeOf(timeZone, input.clientId, input));
      const lines = groups.map((g) => ({ ...timeLine(g, currency), entries: g.entries }));
      const { subtotal } = withinLimits(() =>
        totalsOf(
          lines.map((l) => l.amount),
          0,
        ),
      );
      const count = (key: "entries" | "quantity") => lines.reduce((n, l) => n + l[key], 0);
      return { currency, timeZone, entries: count("entries"), seconds: count("quantity"), subtotal, lines };
    }),

  create: tenantProcedure
    .meta({ permission: "invoice.create" })
    .input(createInput)
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        // Issue 26: "0025-06-01" reads as 1925 in a Date; every date is a four-digit year in the configured range.
        requireDatesInYears({ from: input.from, to: input.to, dueDate: input.dueDate ?? undefined }, ctx.services.config.years);
        await requireClient(input.clientId);
        const { timeZone, currency } = await getOrgSettings();
        const now = ctx.services.clock.now();
        const id = newId("i");
        const range = input.from && input.to ? { from: input.from, to: input.to } : null;
        const fields = {
          client_id: input.clientId,
          currency,
          tax_rate_bp: input.taxRateBp,
          period_from: range?.from ?? null,
          period_to: range?.to ?? null,
        };
        await insertDraft(id, { ...fields, due_date: input.dueDate, notes: input.notes, created_by: ctx.actor.id }, now);
        const entries = range ? await takeUnbilled(scopeOf(timeZone, input.clientId, range), id) : 0;
        const lines = [...(entries ? (await takenGroups(id)).map((g) => timeLine(g, currency)) : []), ...input.lines.map(manualRow)];
        if (lines.length === 0)
          throw badRequest(
            "This client has no unbilled billable time in that range, and no lines were given: there is nothing to invoice.",
          );
        await insertLines(numbered(id, 1, lines));
        const totals = await recomputeTotals(id, input.taxRateBp, now);
        await audit(
          ctx.actor,
          "invoice.create",
          { type: "invoice", id },
          { client_id: input.clientId, entries, lines: lines.length, ...totals, currency },
        );
        return invoiceDetail(id);
      }),
    ),

  update: tenantProcedure
    .meta({ permission: "invoice.update" })
    .input(
      orgInput.extend({
        id: invoiceId,
        taxRateBp: taxRateBp.optional(),
        dueDate: isoDate.nullable().optional(),
        notes: notesSchema.optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const { org: _org, id, ...changes } = input;
        requireDatesInYears({ dueDate: changes.dueDate ?? undefined }, ctx.services.config.years);
        const invoice = await requireInvoice(id);
        requireDraft(invoice);
        const now = ctx.services.clock.now();
        await updateDraft(id, { tax_rate_bp: changes.taxRateBp, due_date: changes.dueDate, notes: changes.notes }, now);
        if (changes.taxRateBp !== undefined) await recomputeTotals(id, changes.taxRateBp, now);
        await audit(ctx.actor, "invoice.update", { type: "invoice", id }, { fields: Object.keys(changes) });
        return invoiceDetail(id);
      }),
    ),

  addLine: tenantProcedure
    .meta({ permission: "invoice.update" })
    .input(orgInput.extend({ id: invoiceId, ...manualLine.shape }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const { org: _org, id, ...line } = input;
        const invoice = await requireInvoice(id);
        requireDraft(invoice);
        const [row] = numbered(id, await nextPosition(id), [manualRow(line)]);
        await insertLines([row!]);
        await recomputeTotals(id, invoice.tax_rate_bp, ctx.services.clock.now());
        await audit(ctx.actor, "invoice.line_add", { type: "invoice", id }, { line_id: row!.id, amount: row!.amount });
        return invoiceDetail(id);
      }),
    ),

  /** Removing a time line gives its entries back to unbilled time. */
  removeLine: tenantProcedure
    .meta({ permission: "invoice.update" })
    .input(orgInput.extend({ id: invoiceId, lineId }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const invoice = await requireInvoice(input.id);
        requireDraft(invoice);
        const line = await findLine(input.id, input.lineId);
        if (!line) throw notFound("Line");
        const released = line.project_id ? await releaseEntries(input.id, { projectId: line.project_id, hourlyRate: line.unit_price }) : 0;
        await deleteLine(input.id, input.lineId);
        await recomputeTotals(input.id, invoice.tax_rate_bp, ctx.services.clock.now());
        await audit(
          ctx.actor,
          "invoice.line_remove",
          { type: "invoice", id: input.id },
          { line_id: line.id, amount: line.amount, released },
        );
        return invoiceDetail(input.id);
      }),
    ),

  /**
   * Gives the draft the next number of the issue date's year (in the organisation's zone). The
   * counter moves in this same BEGIN IMMEDIATE transaction, so concurrent issues queue for the
   * write lock and numbers come out without gaps or duplicates.
   */
  issue: tenantProcedure
    .meta({ permission: "invoice.issue" })
    .input(orgInput.extend({ id: invoiceId }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const invoice = await requireInvoice(input.id);
        if (invoice.status !== "draft") throw conflict(`${label(invoice)} has already been issued.`);
        if ((await listLines(input.id)).length === 0) throw badRequest("Add at least one line before issuing this invoice.");
        const now = ctx.services.clock.now();
        const issueDate = dateIn((await getOrgSettings()).timeZone, now);
        if (invoice.due_date !== null && invoice.due_date < issueDate) {
          throw badRequest(`The due date ${invoice.due_date} is before today's issue date ${issueDate}; change it first.`);
        }
        const year = Number(issueDate.slice(0, 4));
        const number = invoiceNumber(year, await nextSequence(year));
        // Nothing to pay (every line at a zero rate): paid the moment it is issued.
        await markIssued(input.id, { number, issueDate, paid: invoice.total === 0 }, now).catch((error: unknown) => {
          // Only if the counter row was edited by hand: the unique index refuses, and says so.
          if (isUniqueViolation(error)) throw conflict(`Number ${number} is already taken; the ${year} counter needs checking.`);
          throw error;
        });
        await audit(
          ctx.actor,
          "invoice.issue",
          { type: "invoice", id: input.id },
          { number, total: invoice.total, currency: invoice.currency },
        );
        await emitEvent(ctx.services, "invoice.issued", {
          invoice: {
            id: input.id,
            number,
            client_id: invoice.client_id,
            issue_date: issueDate,
            due_date: invoice.due_date,
            total: invoice.total,
            currency: invoice.currency,
          },
        });
        return invoiceDetail(input.id);
      }),
    ),

  /**
   * Voids an issued invoice: it keeps its number, lines and totals as the record of what was sent,
   * and its time entries go back to unbilled time, so a new draft can bill them again. An invoice
   * with payments cannot be voided: delete the payments first (a refund is not an undo).
   */
  void: tenantProcedure
    .meta({ permission: "invoice.void" })
    .input(
      orgInput.extend({
        id: invoiceId,
        reason: z.string().trim().min(3, "Give a reason (at least 3 characters).").max(500, "Use at most 500 characters."),
      }),
    )
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const invoice = await requireInvoice(input.id);
        if (invoice.status === "draft") throw conflict("This draft has not been issued; delete it instead of voiding it.");
        if (invoice.status === "void") throw conflict(`${label(invoice)} is already void.`);
        if (invoice.paid > 0) throw conflict(`${label(invoice)} has payments recorded; delete them before voiding it.`);
        const released = await releaseEntries(input.id);
        await markVoid(input.id, input.reason, ctx.services.clock.now());
        await audit(
          ctx.actor,
          "invoice.void",
          { type: "invoice", id: input.id },
          { number: invoice.number, reason: input.reason, released },
        );
        return invoiceDetail(input.id);
      }),
    ),

  /** Deletes a draft and gives its time entries back to unbilled time. */
  delete: tenantProcedure
    .meta({ permission: "invoice.delete" })
    .input(orgInput.extend({ id: invoiceId }))
    .mutation(async ({ ctx, input }) => {
      // The draft's attachments go with it: rows in this transaction, blobs once it has committed.
      const { released, files } = await inTenantTransaction(async () => {
        const invoice = await requireInvoice(input.id);
        requireDraft(invoice, "deleted");
        const released = await releaseEntries(input.id);
        const files = await deleteAttachmentsOf("invoice", input.id);
        await deleteDraft(input.id);
        await audit(
          ctx.actor,
          "invoice.delete",
          { type: "invoice", id: input.id },
          { client_id: invoice.client_id, total: invoice.total, released, ...(files.length > 0 && { files: files.length }) },
        );
        return { released, files };
      });
      await removeAttachmentBlobs(ctx.services, ctx.tenant.id, files);
      return { id: input.id, released };
    }),
});
