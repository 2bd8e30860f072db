import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type Instance } from "./support/instance";
import { dashboardMonth, invoiceSnapshot, moneyOrg, ok, viewAmounts } from "./support/money-views";

/**
 * ADR 017 as properties, over random entries, rates and currencies with 0, 2, 3 and 4 decimals: every
 * view's total equals the issued invoice's, and an issued invoice (its rows and its print) does not
 * move after later edits, rate changes, a project move or an attempt to change the currency.
 */

let instance: Instance;
const NOW = Date.parse("2026-01-20T12:00:00Z");
const FIRST = Date.parse("2026-01-05T00:00:00Z"); // a Monday; 01:00 in Berlin
const RANGE = { from: "2026-01-05", to: "2026-01-11" };
const CURRENCIES = [
  { code: "JPY", digits: 0 },
  { code: "EUR", digits: 2 },
  { code: "KWD", digits: 3 },
  { code: "CLF", digits: 4 },
] as const;
type Org = Awaited<ReturnType<typeof moneyOrg>>;
const orgs = new Map<string, Org>();
const slugOf = (code: string) => `mvp-${code.toLowerCase()}`;

beforeAll(async () => {
  instance = await startInstance();
  instance.clock.advance(NOW - instance.clock.now());
  for (const c of CURRENCIES) orgs.set(c.code, await moneyOrg(instance, slugOf(c.code), c.code));
});
afterAll(() => instance.stop());

const entryArb = fc.record({
  seconds: fc.integer({ min: 1, max: 4 * 3600 }),
  rate: fc.oneof(fc.integer({ min: 0, max: 2_000_000 }), fc.constantFrom(0, 1, 1799, 1800, 9999, 12345)),
  billable: fc.boolean(),
  gapSeconds: fc.integer({ min: 0, max: 3600 }),
});
const laterArb = fc.array(
  fc.oneof(
    fc.constant({ kind: "edit" as const }),
    fc.record({ kind: fc.constant("rate" as const), rate: fc.integer({ min: 0, max: 2_000_000 }) }),
    fc.constant({ kind: "move" as const }),
    fc.record({ kind: fc.constant("currency" as const), to: fc.constantFrom(...CURRENCIES.map((c) => c.code)) }),
  ),
  { minLength: 1, maxLength: 4 },
);

/** The rule itself, as an oracle: each billable entry rounded half-up to the minor unit, then added. */
const oracle = (entries: { seconds: number; rate: number; billable: boolean }[]) =>
  entries.reduce((n, e) => n + (e.billable ? Math.floor((e.seconds * e.rate + 1800) / 3600) : 0), 0);

let run = 0;

describe("every view equals the issued invoice, and the issued invoice stays put", () => {
  it("holds for random entries, rates and currencies", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...CURRENCIES),
        fc.array(entryArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 2500 }),
        laterArb,
        async (currency, drawn, taxRateBp, later) => {
          const entries = drawn.map((e, i) => ({ ...e, billable: i === 0 || e.billable }));
          const o = orgs.get(currency.code)!;
          const org = slugOf(currency.code);
          const n = ++run;
          const clientName = `Client ${n}`;
          const clientId = await o.client(clientName);
          const elsewhere = await o.client(`Elsewhere ${n}`);
          const projectName = `Project ${n}`;
          const projectId = await o.project(clientId, projectName, entries[0]!.rate);
          // Entries one after another (4 h at most each, 12 at most), all inside the range's first days.
          let at = FIRST;
          const specs = entries.map((e) => {
            const spec = { start: at, seconds: e.seconds, rate: e.rate, billable: e.billable };
            at += (e.seconds + e.gapSeconds) * 1000;
            return spec;
          });
          const dashboardBefore = await dashboardMonth(o.owner.client, org);
          await o.entries(projectId, specs);
          const expected = oracle(entries);
          const where = { org, clientId, clientName, projectId, projectName, memberId: o.memberId, ...RANGE, digits: currency.digits };
          const everyView = Object.fromEntries(
            [
              "timeList",
              "hoursByProject",
              "hoursByClient",
              "hoursByMember",
              "hoursByWeek",
              "hoursByMonth",
              "hoursCsv",
              "financials",
              "financialsCsv",
            ].map((k) => [k, expected]),
          );
          expect(await viewAmounts(o.owner.client, where)).toEqual(everyView);
          expect((await dashboardMonth(o.owner.client, org)) - dashboardBefore).toBe(expected);
          const unbilled = await ok(o.owner.client.query("reports.unbilled", { org, clientId }));
          expect(unbilled.totals.amount).toBe(expected);
          const preview = await ok(o.owner.client.query("invoices.preview", { org, clientId, ...RANGE }));
          expect(preview.subtotal).toBe(expected);

          const draft = await o.invoice(clientId, RANGE.from, RANGE.to, taxRateBp);
          const draftSplit = (await o.financials({ clientId })).totals[0];
          expect(draftSplit).toMatchObject({ currency: currency.code, draftAmount: expected, invoicedAmount: 0, unbilledAmount: 0 });
          const issued = await o.issue(draft.id);
          expect(issued.subtotal).toBe(expected);
          expect(issued.lines.reduce((s: number, l: { amount: number }) => s + l.amount, 0)).toBe(expected);
          expect(await viewAmounts(o.owner.client, where)).toEqual(everyView);
          const snapshot = await invoiceSnapshot(instance, o.owner.tenantId, o.owner.client, org, draft.id);

          let projectClient = clientId;
          // Later time goes after the range, so the figures of the invoiced range stay what they were.
          let laterAt = Date.parse("2026-01-13T08:00:00Z");
          for (const step of later) {
            if (step.kind === "edit") {
              // More time in the same project, edited after it was logged; the invoiced entries refuse any edit.
              const [fresh] = await o.entries(projectId, [{ start: laterAt, seconds: 600, rate: 5000 }]);
              laterAt += 3_600_000;
              await ok(o.owner.client.mutate("time.update", { org, id: fresh, note: "edited later" }));
              const lease = await instance.services.pool.acquire(o.owner.tenantId);
              const taken = await lease.db
                .selectFrom("time_entries")
                .select("id")
                .where("invoice_id", "=", draft.id)
                .executeTakeFirstOrThrow()
                .finally(() => lease.release());
              const refused = await o.owner.client.mutate("time.update", { org, id: taken.id, note: "too late" });
              expect(refused.status).not.toBe(200);
            } else if (step.kind === "rate") {
              await ok(o.owner.client.mutate("projects.update", { org, id: projectId, hourlyRate: step.rate }));
            } else if (step.kind === "move") {
              const to = projectClient === clientId ? elsewhere : clientId;
              await ok(o.owner.client.mutate("projects.update", { org, id: projectId, clientId: to }));
              projectClient = to;
            } else {
              const attempt = await o.owner.client.mutate("settings.update", { org, currency: step.to });
              if (step.to === currency.code) expect(attempt.status).toBe(200);
              else {
                expect(attempt.status).toBe(409);
                expect(attempt.error?.message).toMatch(new RegExp(`^The currency cannot change from ${currency.code} to ${step.to}`));
              }
            }
          }
          expect(await invoiceSnapshot(instance, o.owner.tenantId, o.owner.client, org, draft.id)).toEqual(snapshot);
          // Wherever the project went, the invoiced money is still its invoice's client's.
          const first = await o.financials({ clientId, ...RANGE });
          expect(first.totals).toEqual([
            {
              currency: currency.code,
              billableAmount: expected,
              unbilledAmount: 0,
              draftAmount: 0,
              invoicedAmount: expected,
              paidAmount: issued.status === "paid" ? expected : 0,
            },
          ]);
          const byClient = await ok(o.owner.client.query("reports.hours", { org, ...RANGE, groupBy: "client", clientId }));
          expect(byClient.totals.amount).toBe(expected);
        },
      ),
      { numRuns: 24 },
    );
  }, 600_000);
});
