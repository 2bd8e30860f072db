import { inTenantTransaction } from "../../db/tenant/context";
import { emitEvent } from "../webhooks/events";
import { setPaid } from "../../db/tenant/invoices/invoices";
import { deletePayment, findPayment, insertPayment, listPayments } from "../../db/tenant/invoices/payments";
import type { PaymentRow } from "../../db/tenant/invoices/schema";
import { audit } from "../audit/audit";
import { newId } from "../auth/tokens";
import { invoiceId, paymentFields, paymentId } from "../billing/inputs";
import { dateIn } from "../billing/dates";
import { checkPayment } from "../billing/payment-rules";
import { invoiceDetail, label, requireInvoice } from "../billing/rules";
import { getOrgSettings } from "../../db/tenant/settings";
import { conflict, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { orgInput } from "./inputs";

/**
 * Money received against issued invoices. An invoice is paid once its payments reach its total;
 * deleting a payment that takes it below the total makes it issued again. Dates and amounts follow
 * checkPayment: an overpayment needs confirming, and its excess is the client's credit (payments
 * minus total, shown on the invoice and in the audit row), never a silent negative balance.
 */
export const paymentsRouter = router({
  list: tenantProcedure
    .meta({ permission: "payment.read" })
    .input(orgInput.extend({ invoiceId }))
    .query(async ({ input }) => {
      await requireInvoice(input.invoiceId);
      return listPayments(input.invoiceId);
    }),

  create: tenantProcedure
    .meta({ permission: "payment.create" })
    .input(orgInput.extend(paymentFields))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const invoice = await requireInvoice(input.invoiceId);
        if (invoice.status === "draft") throw conflict("Issue this draft before recording payments against it.");
        if (invoice.status === "void") throw conflict(`${label(invoice)} is void; payments cannot be recorded against it.`);
        if (invoice.status === "paid") throw conflict(`${label(invoice)} is already paid in full.`);
        const now = ctx.services.clock.now();
        const today = dateIn((await getOrgSettings()).timeZone, now);
        const { credit } = checkPayment({ invoice, today, ...input });
        const payment: PaymentRow = {
          id: newId("y"),
          invoice_id: invoice.id,
          paid_on: input.paidOn,
          amount: input.amount,
          method: input.method,
          reference: input.reference,
          note: input.note,
          created_by: ctx.actor.id,
          created_at: now,
        };
        await insertPayment(payment);
        const paidInFull = invoice.paid + input.amount >= invoice.total;
        if (paidInFull) await setPaid(invoice.id, now, now);
        await audit(
          ctx.actor,
          "payment.create",
          { type: "payment", id: payment.id },
          {
            invoice_id: invoice.id,
            number: invoice.number,
            amount: input.amount,
            method: input.method,
            paid_on: input.paidOn,
            paid_in_full: paidInFull,
            ...(credit > 0 && { credit, overpayment_confirmed: true }),
            ...(input.paidOn > today && { future_date_confirmed: true }),
          },
        );
        if (paidInFull)
          await emitEvent(ctx.services, "invoice.paid", {
            invoice: {
              id: invoice.id,
              number: invoice.number,
              client_id: invoice.client_id,
              total: invoice.total,
              currency: invoice.currency,
            },
            payment_id: payment.id,
          });
        return { payment, invoice: await invoiceDetail(invoice.id) };
      }),
    ),

  delete: tenantProcedure
    .meta({ permission: "payment.delete" })
    .input(orgInput.extend({ id: paymentId }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const payment = await findPayment(input.id);
        if (!payment) throw notFound("Payment");
        const invoice = await requireInvoice(payment.invoice_id);
        if (invoice.status === "void") throw conflict(`${label(invoice)} is void; its payments are kept as they were.`);
        await deletePayment(input.id);
        const now = ctx.services.clock.now();
        const reopened = invoice.status === "paid" && invoice.paid - payment.amount < invoice.total;
        if (reopened) await setPaid(invoice.id, null, now);
        await audit(
          ctx.actor,
          "payment.delete",
          { type: "payment", id: input.id },
          { invoice_id: invoice.id, number: invoice.number, amount: payment.amount, reopened },
        );
        return { id: input.id, invoice: await invoiceDetail(invoice.id) };
      }),
    ),
});
