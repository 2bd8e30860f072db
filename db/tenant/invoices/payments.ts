import { tenantDb } from "../context";
import { clientVisible } from "../visibility";
import type { PaymentRow } from "./schema";

export function listPayments(invoiceId: string): Promise<PaymentRow[]> {
  return tenantDb()
    .selectFrom("payments")
    .selectAll()
    .where("invoice_id", "=", invoiceId)
    .orderBy("paid_on")
    .orderBy("created_at")
    .orderBy("id")
    .execute();
}

/** A payment of an invoice the caller may see (client contacts: their own client's only). */
export function findPayment(id: string) {
  return tenantDb()
    .selectFrom("payments")
    .innerJoin("invoices", "invoices.id", "payments.invoice_id")
    .selectAll("payments")
    .where("payments.id", "=", id)
    .where(clientVisible("invoices.client_id"))
    .executeTakeFirst();
}

export async function insertPayment(row: PaymentRow) {
  await tenantDb().insertInto("payments").values(row).execute();
}

export async function deletePayment(id: string) {
  await tenantDb().deleteFrom("payments").where("id", "=", id).execute();
}

export async function paidTotal(invoiceId: string): Promise<number> {
  const row = await tenantDb()
    .selectFrom("payments")
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("amount"), eb.lit(0)).as("paid"))
    .where("invoice_id", "=", invoiceId)
    .executeTakeFirstOrThrow();
  return Number(row.paid);
}
