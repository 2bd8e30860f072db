import { holdsMoney, moneyHeld } from "../../db/tenant/money-held";
import { conflict } from "../trpc/errors";

const counted = (n: number, one: string, many: string) => (n === 0 ? [] : [`${n} ${n === 1 ? one : many}`]);

/**
 * The organisation's currency is the unit of every stored amount (ADR 017): once any money exists,
 * a new currency would relabel it (€100/h would bill ¥100/h, an invoice of €100 would read ¥100), so
 * the change is refused with what holds money. A new currency means a new organisation, or
 * removing that money first.
 */
export async function requireCurrencyChangeable(from: string, to: string) {
  if (from === to) return;
  const held = await moneyHeld();
  if (!holdsMoney(held)) return;
  const what = [
    ...counted(held.invoices, "invoice", "invoices"),
    ...counted(held.payments, "payment", "payments"),
    ...counted(held.pricedEntries, "priced time entry", "priced time entries"),
    ...counted(held.rates, "rate", "rates"),
  ].join(", ");
  throw conflict(
    `The currency cannot change from ${from} to ${to}: this organisation already holds money in ${from} (${what}), and a new currency would relabel it, not convert it.`,
  );
}
