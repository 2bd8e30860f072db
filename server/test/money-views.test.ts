import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type Instance } from "./support/instance";
import { dashboardMonth, invoiceSnapshot, moneyOrg, ok, viewAmounts, type Where } from "./support/money-views";

/**
 * Issue 26, items 3, 4 (currency), 6 and 7's printed half, with the issue's figures (ADR 017): one
 * rounding rule everywhere, drafts are not invoiced, the currency cannot change under money, and
 * invoiced money stays with the invoice's client.
 */

let instance: Instance;
// A Tuesday; every entry below is earlier in the same month, so the dashboard's month holds it.
const NOW = Date.parse("2026-01-20T12:00:00Z");
const MONDAY = Date.parse("2026-01-12T08:00:00Z"); // 09:00 in Berlin
const HOUR = 3_600_000;

beforeAll(async () => {
  instance = await startInstance();
  instance.clock.advance(NOW - instance.clock.now());
});
afterAll(() => instance.stop());

const org = (slug: string, currency = "EUR") => moneyOrg(instance, slug, currency);

describe("60 one-minute entries at €99.99/h", () => {
  it("are €100.20 in the time list, every report and CSV, the dashboard, the preview, the issued invoice and its print", async () => {
    const o = await org("mv-sixty");
    const acme = await o.client("Acme");
    const web = await o.project(acme, "Website", 9999);
    // 60 s × €99.99/h = €1.6665 → €1.67 an entry (half-up); 60 × €1.67 = €100.20, where one hour at once is €99.99.
    await o.entries(
      web,
      Array.from({ length: 60 }, (_, i) => ({ start: MONDAY + i * 60_000, seconds: 60, rate: 9999 })),
    );
    const where: Where = {
      org: "mv-sixty",
      clientId: acme,
      clientName: "Acme",
      projectId: web,
      projectName: "Website",
      memberId: o.memberId,
      from: "2026-01-12",
      to: "2026-01-12",
      digits: 2,
    };
    const views = await viewAmounts(o.owner.client, where);
    expect(views).toEqual({
      timeList: 10020,
      hoursByProject: 10020,
      hoursByClient: 10020,
      hoursByMember: 10020,
      hoursByWeek: 10020,
      hoursByMonth: 10020,
      hoursCsv: 10020,
      financials: 10020,
      financialsCsv: 10020,
    });
    expect(await dashboardMonth(o.owner.client, "mv-sixty")).toBe(10020);
    const unbilled = await ok(o.owner.client.query("reports.unbilled", { org: "mv-sixty" }));
    expect(unbilled.totals).toEqual({ entries: 60, seconds: 3600, amount: 10020 });
    const preview = await ok(
      o.owner.client.query("invoices.preview", { org: "mv-sixty", clientId: acme, from: "2026-01-12", to: "2026-01-12" }),
    );
    expect(preview.subtotal).toBe(10020);

    const draft = await o.invoice(acme, "2026-01-12", "2026-01-12");
    const issued = await o.issue(draft.id);
    expect(issued).toMatchObject({ subtotal: 10020, total: 10020, currency: "EUR" });
    expect(issued.lines).toEqual([
      expect.objectContaining({
        kind: "time",
        description: "Time: Website (60 entries, each rounded to 0.01 EUR)",
        quantity: 3600,
        unit_price: 9999,
        amount: 10020,
      }),
    ]);
    // Invoiced now, every view still says the same.
    expect(await viewAmounts(o.owner.client, where)).toEqual(views);
    expect(await dashboardMonth(o.owner.client, "mv-sixty")).toBe(10020);

    const { print } = await invoiceSnapshot(instance, o.owner.tenantId, o.owner.client, "mv-sixty", draft.id);
    // The exact quantity, not "1 h" of a rounded decimal, and the sentence that says how €100.20 was formed.
    expect(print).toContain("<td>Time: Website (60 entries, each rounded to 0.01 EUR)</td>");
    expect(print).toContain('<td class="num">1:00:00 h</td>');
    expect(print).toContain("€99.99 / h");
    expect(print).toContain('<td class="num">€100.20</td>');
  });

  it("prints a third of an hour as 0:20:00 h, not 0.33 h", async () => {
    const o = await org("mv-third");
    const acme = await o.client("Acme");
    const web = await o.project(acme, "Website", 9999);
    await o.entries(web, [{ start: MONDAY, seconds: 1200, rate: 9999 }]); // 1200 × 9999 / 3600 = 3333 exactly
    const draft = await o.invoice(acme, "2026-01-12", "2026-01-12");
    const { print } = await invoiceSnapshot(instance, o.owner.tenantId, o.owner.client, "mv-third", draft.id);
    expect(print).toContain('<td class="num">0:20:00 h</td>');
    expect(print).toContain('<td class="num">€33.33</td>');
    expect(print).not.toContain("0.33 h");
  });
});

describe("financials", () => {
  it("shows time on a draft as draft, not invoiced; issued and paid separately", async () => {
    const o = await org("mv-draft");
    const acme = await o.client("Acme");
    const web = await o.project(acme, "Website", 10000);
    await o.entries(web, [{ start: MONDAY, seconds: 3600, rate: 10000 }]);
    const split = async () => {
      const r = await o.financials();
      const { billableAmount, unbilledAmount, draftAmount, invoicedAmount, paidAmount } = r.rows[0];
      return [billableAmount, unbilledAmount, draftAmount, invoicedAmount, paidAmount];
    };
    expect(await split()).toEqual([10000, 10000, 0, 0, 0]);
    const draft = await o.invoice(acme, "2026-01-12", "2026-01-12");
    expect(await split()).toEqual([10000, 0, 10000, 0, 0]);
    const issued = await o.issue(draft.id);
    expect(await split()).toEqual([10000, 0, 0, 10000, 0]);
    await ok(
      o.owner.client.mutate("payments.create", {
        org: "mv-draft",
        invoiceId: draft.id,
        paidOn: issued.issue_date,
        amount: 10000,
        method: "bank_transfer",
      }),
    );
    expect(await split()).toEqual([10000, 0, 0, 10000, 10000]);
    const csv = await ok(o.owner.client.query("reports.export", { org: "mv-draft", report: "financials" }));
    expect(csv.content).toBe(
      "\uFEFFproject,client,archived,currency,hourly_rate,budget_hours,billable_amount,unbilled_amount,draft_amount,invoiced_amount,paid_amount\r\n" +
        "Website,Acme,no,EUR,100.00,,100.00,0.00,0.00,100.00,100.00\r\n",
    );
  });
});

describe("the organisation's currency", () => {
  it("cannot change from EUR to JPY once money exists, and financials never adds €100 and ¥10,000 into ¥20,000", async () => {
    const o = await org("mv-currency");
    // Before any money, choosing the currency is free.
    await ok(o.owner.client.mutate("settings.update", { org: "mv-currency", currency: "USD" }));
    await ok(o.owner.client.mutate("settings.update", { org: "mv-currency", currency: "EUR" }));
    const acme = await o.client("Acme");
    const web = await o.project(acme, "Website", 10000); // €100/h
    const refusedByRate = await o.owner.client.mutate("settings.update", { org: "mv-currency", currency: "JPY" });
    expect(refusedByRate.status).toBe(409);
    expect(refusedByRate.error?.message).toBe(
      "The currency cannot change from EUR to JPY: this organisation already holds money in EUR (1 rate), and a new currency would relabel it, not convert it.",
    );
    await o.entries(web, [{ start: MONDAY, seconds: 3600, rate: 10000 }]);
    const eur = await o.issue((await o.invoice(acme, "2026-01-12", "2026-01-12")).id);
    expect(eur).toMatchObject({ currency: "EUR", total: 10000 });
    const refused = await o.owner.client.mutate("settings.update", { org: "mv-currency", currency: "JPY" });
    expect(refused.status).toBe(409);
    expect(refused.error?.message).toBe(
      "The currency cannot change from EUR to JPY: this organisation already holds money in EUR (1 invoice, 1 priced time entry, 1 rate), and a new currency would relabel it, not convert it.",
    );
    const settings = await ok(o.owner.client.query("settings.get", { org: "mv-currency" }));
    expect(settings.currency).toBe("EUR");

    // A file whose currency was changed before this rule (as the old code allowed): its money keeps
    // its own currency in every report, and amounts in two currencies are never added.
    const lease = await instance.services.pool.acquire(o.owner.tenantId);
    try {
      await lease.db.updateTable("org_settings").set({ currency: "JPY" }).where("id", "=", 1).execute();
    } finally {
      lease.release();
    }
    await o.entries(web, [{ start: MONDAY + 2 * HOUR, seconds: 3600, rate: 10000 }]); // ¥10,000/h, logged after the change
    const jpy = await o.issue((await o.invoice(acme, "2026-01-12", "2026-01-12")).id);
    expect(jpy).toMatchObject({ currency: "JPY", total: 10000 });
    const r = await o.financials();
    expect(r.rows.map((x: { currency: string; invoicedAmount: number }) => [x.currency, x.invoicedAmount])).toEqual([
      ["EUR", 10000],
      ["JPY", 10000],
    ]);
    expect(r.totals).toEqual([
      { currency: "JPY", billableAmount: 10000, unbilledAmount: 0, draftAmount: 0, invoicedAmount: 10000, paidAmount: 0 },
      { currency: "EUR", billableAmount: 10000, unbilledAmount: 0, draftAmount: 0, invoicedAmount: 10000, paidAmount: 0 },
    ]);
    const csv = (await ok(o.owner.client.query("reports.export", { org: "mv-currency", report: "financials" }))).content as string;
    expect(csv).toContain(",EUR,,,100.00,0.00,0.00,100.00,0.00\r\n");
    expect(csv).toContain(",JPY,10000,,10000,0,0,10000,0\r\n");
    expect(csv).not.toContain("20000");
    // Hours and the dashboard: the organisation's currency (now JPY) in the amount, the EUR invoice beside it, never added.
    const hours = await ok(
      o.owner.client.query("reports.hours", { org: "mv-currency", from: "2026-01-12", to: "2026-01-12", groupBy: "project" }),
    );
    expect(hours.totals).toEqual({
      seconds: 7200,
      billableSeconds: 7200,
      amount: 10000,
      otherAmounts: [{ currency: "EUR", amount: 10000 }],
    });
    const hoursCsv = await ok(
      o.owner.client.query("reports.export", {
        org: "mv-currency",
        report: "hours",
        from: "2026-01-12",
        to: "2026-01-12",
        groupBy: "project",
      }),
    );
    expect(hoursCsv.content).toBe(
      "\uFEFFproject,client,hours,billable_hours,seconds,billable_seconds,amount,currency\r\n" +
        "Website,Acme,2.00,2.00,7200,7200,10000,JPY\r\n" +
        "Website,Acme,,,,,100.00,EUR\r\n",
    );
    expect(await dashboardMonth(o.owner.client, "mv-currency")).toBe(10000);
  });
});

describe("moving a project to another client", () => {
  it("keeps invoiced revenue with the invoice's client; only unbilled time moves", async () => {
    const o = await org("mv-move");
    const acme = await o.client("Acme");
    const globex = await o.client("Globex");
    const web = await o.project(acme, "Website", 10000);
    await o.entries(web, [{ start: MONDAY, seconds: 7200, rate: 10000 }]);
    const invoice = await o.issue((await o.invoice(acme, "2026-01-12", "2026-01-12")).id);
    expect(invoice.total).toBe(20000);
    const before = await invoiceSnapshot(instance, o.owner.tenantId, o.owner.client, "mv-move", invoice.id);
    await o.entries(web, [{ start: MONDAY + 3 * HOUR, seconds: 3600, rate: 10000 }]);
    await ok(o.owner.client.mutate("projects.update", { org: "mv-move", id: web, clientId: globex }));

    const byClient = await ok(
      o.owner.client.query("reports.hours", { org: "mv-move", from: "2026-01-12", to: "2026-01-12", groupBy: "client" }),
    );
    expect(byClient.rows.map((r: { label: string; seconds: number; amount: number }) => [r.label, r.seconds, r.amount])).toEqual([
      ["Acme", 7200, 20000],
      ["Globex", 3600, 10000],
    ]);
    const acmeMoney = await o.financials({ clientId: acme });
    expect(
      acmeMoney.rows.map((r: { clientName: string; invoicedAmount: number; unbilledAmount: number }) => [
        r.clientName,
        r.invoicedAmount,
        r.unbilledAmount,
      ]),
    ).toEqual([["Acme", 20000, 0]]);
    const globexMoney = await o.financials({ clientId: globex });
    expect(
      globexMoney.rows.map((r: { clientName: string; invoicedAmount: number; unbilledAmount: number }) => [
        r.clientName,
        r.invoicedAmount,
        r.unbilledAmount,
      ]),
    ).toEqual([["Globex", 0, 10000]]);
    const acmeHours = await ok(
      o.owner.client.query("reports.hours", { org: "mv-move", from: "2026-01-12", to: "2026-01-12", groupBy: "project", clientId: acme }),
    );
    expect(acmeHours.totals).toEqual({ seconds: 7200, billableSeconds: 7200, amount: 20000, otherAmounts: [] });
    expect((await ok(o.owner.client.query("invoices.list", { org: "mv-move", clientId: acme }))).map((i: { id: string }) => i.id)).toEqual([
      invoice.id,
    ]);
    expect(await invoiceSnapshot(instance, o.owner.tenantId, o.owner.client, "mv-move", invoice.id)).toEqual(before);
  });
});
