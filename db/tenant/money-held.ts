import { sql } from "kysely";
import { tenantDb } from "./context";

/** How much money the organisation's file holds in its currency: each is a count of rows. */
export interface MoneyHeld {
  invoices: number;
  payments: number;
  pricedEntries: number;
  rates: number;
}

/**
 * Everything whose number means "minor units of the organisation's currency": invoices (any state),
 * payments, time entries with a rate, and non-zero project or member rates. Relabelling any of them
 * with another currency would change what they are worth, so none may exist for a currency change.
 */
export async function moneyHeld(): Promise<MoneyHeld> {
  const row = await tenantDb()
    .selectNoFrom([
      sql<number>`(select count(*) from invoices)`.as("invoices"),
      sql<number>`(select count(*) from payments)`.as("payments"),
      sql<number>`(select count(*) from time_entries where hourly_rate > 0)`.as("pricedEntries"),
      sql<number>`(select count(*) from projects where hourly_rate > 0) + (select count(*) from member_rates where hourly_rate > 0)`.as(
        "rates",
      ),
    ])
    .executeTakeFirstOrThrow();
  return {
    invoices: Number(row.invoices),
    payments: Number(row.payments),
    pricedEntries: Number(row.pricedEntries),
    rates: Number(row.rates),
  };
}

export const holdsMoney = (m: MoneyHeld) => m.invoices + m.payments + m.pricedEntries + m.rates > 0;
