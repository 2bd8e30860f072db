import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { userWithOrg } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";

/**
 * Issue 26 (break): an entry flagged by migration 0017 (−1,800 s, Berlin's DST gap at €100/h) is
 * left out of every invoice, so every view must say the same of it to the minor unit: the time
 * list and the reports must not disagree, and the unbilled report must equal what invoicing bills.
 */
const org = "break26-flagged";
const EUR_100 = 10_000;
let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
let clientId: string;
let site: string;

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, org);
  expect((await owner.client.mutate("settings.update", { org, timeZone: "Europe/Berlin" })).status).toBe(200);
  clientId = (await owner.client.mutate("clients.create", { org, name: "Acme" })).data.id;
  site = (await owner.client.mutate("projects.create", { org, clientId, name: "Gap site", hourlyRate: EUR_100 })).data.id;
  const ownerId = (await owner.client.query("members.me", { org })).data.userId as string;
  const good = await owner.client.mutate("time.create", { org, projectId: site, date: "2025-03-30", start: "09:00", end: "10:00" });
  expect(good.error ?? null).toBeNull();
  // As migration 0017 leaves a pre-issue row: 02:30–03:00 stored at −1,800 s, flagged.
  const lease = await instance.services.pool.acquire(owner.tenantId);
  try {
    await lease.db
      .insertInto("time_entries")
      .values({
        id: "eflaggedaaaaaaaaaaaaaaaaaaaa",
        member_id: ownerId,
        project_id: site,
        task_id: null,
        started_at: Date.UTC(2025, 2, 30, 1, 0),
        ended_at: Date.UTC(2025, 2, 30, 0, 30),
        duration_seconds: -1800,
        note: "DST gap",
        billable: 1,
        hourly_rate: EUR_100,
        invoice_id: null,
        created_at: 1,
        updated_at: 1,
        problem: "ends_before_start",
      })
      .execute();
  } finally {
    lease.release();
  }
});
afterAll(async () => {
  await instance?.stop();
});

describe("a flagged negative entry (−1,800 s at €100/h) beside a good hour at €100/h", () => {
  const range = { org, from: "2025-03-01", to: "2025-03-31" };

  it("counts as nothing in the time list: its row and the list's totals agree with the rows (was −€50.00 per row, €50.01 in total)", async () => {
    const list = (await owner.client.query("time.list", range)).data;
    const amounts = list.entries.map((e: { amount: number }) => e.amount);
    expect(amounts.sort()).toEqual([0, 10_000]);
    expect(list.totals).toMatchObject({ count: 2, seconds: 3600, billableSeconds: 3600, amount: 10_000 });
  });

  it("every report and the invoice preview say €100.00 and one hour, as invoicing bills (were €50.01 and 1,800 s)", async () => {
    const hours = (await owner.client.query("reports.hours", range)).data;
    expect(hours.totals).toMatchObject({ seconds: 3600, billableSeconds: 3600, amount: 10_000 });
    const financials = (await owner.client.query("reports.financials", range)).data;
    expect(financials.totals).toEqual([
      { currency: "EUR", billableAmount: 10_000, unbilledAmount: 10_000, draftAmount: 0, invoicedAmount: 0, paidAmount: 0 },
    ]);
    const unbilled = (await owner.client.query("reports.unbilled", range)).data;
    expect(unbilled.totals).toEqual({ entries: 1, seconds: 3600, amount: 10_000 });
    const preview = (await owner.client.query("invoices.preview", { clientId, ...range })).data;
    expect(preview).toMatchObject({ entries: 1, seconds: 3600, subtotal: 10_000 });
  });
});

describe("invoice dates stay inside the configured years, as time and reports do", () => {
  const years = (field: string) => ({ [field]: ["Use a date from 2000-01-01 to 2100-12-31."] });

  it("a preview or draft over 0025 (read as 1925) or due in 0025 or 9999 is refused, and nothing is stored", async () => {
    const preview = await owner.client.query("invoices.preview", { org, clientId, from: "0025-03-01", to: "2025-03-31" });
    expect(preview.status).toBe(400);
    expect(preview.error?.fieldErrors).toEqual(years("from"));
    const before = (await owner.client.query("invoices.list", { org })).data.length;
    const draft = await owner.client.mutate("invoices.create", {
      org,
      clientId,
      from: "2025-03-01",
      to: "2025-03-31",
      dueDate: "0025-06-01",
    });
    expect(draft.status).toBe(400);
    expect(draft.error?.fieldErrors).toEqual(years("dueDate"));
    const far = await owner.client.mutate("invoices.create", { org, clientId, from: "2025-03-01", to: "9999-12-31" });
    expect(far.status).toBe(400);
    expect(far.error?.fieldErrors).toEqual(years("to"));
    expect((await owner.client.query("invoices.list", { org })).data.length).toBe(before);
  });

  it("a draft's due date cannot be moved outside them either", async () => {
    const draft = await owner.client.mutate("invoices.create", {
      org,
      clientId,
      lines: [{ description: "Fee", quantity: 1, unitPrice: 100 }],
    });
    expect(draft.error ?? null).toBeNull();
    const moved = await owner.client.mutate("invoices.update", { org, id: draft.data.id, dueDate: "1999-12-31" });
    expect(moved.status).toBe(400);
    expect(moved.error?.fieldErrors).toEqual(years("dueDate"));
  });
});
