import { tenantDb } from "../context";
import type { InvoiceLineRow } from "./schema";

export function listLines(invoiceId: string): Promise<InvoiceLineRow[]> {
  return tenantDb().selectFrom("invoice_lines").selectAll().where("invoice_id", "=", invoiceId).orderBy("position").orderBy("id").execute();
}

export function findLine(invoiceId: string, lineId: string) {
  return tenantDb().selectFrom("invoice_lines").selectAll().where("invoice_id", "=", invoiceId).where("id", "=", lineId).executeTakeFirst();
}

export async function insertLines(lines: InvoiceLineRow[]) {
  if (lines.length) await tenantDb().insertInto("invoice_lines").values(lines).execute();
}

export async function nextPosition(invoiceId: string): Promise<number> {
  const row = await tenantDb()
    .selectFrom("invoice_lines")
    .select((eb) => eb.fn.max<number | null>("position").as("max"))
    .where("invoice_id", "=", invoiceId)
    .executeTakeFirst();
  return (row?.max ?? 0) + 1;
}

export async function deleteLine(invoiceId: string, lineId: string) {
  await tenantDb().deleteFrom("invoice_lines").where("invoice_id", "=", invoiceId).where("id", "=", lineId).execute();
}
