import { sql, type Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migration0016 } from "../../db/tenant/migrations/0016_rate_scale_review";
import type { TenantDB } from "../../db/tenant/schema";
import { userWithOrg } from "./support/accounts";
import { BearerClient } from "./support/api-client";
import { ok } from "./support/client";
import { startInstance, type Instance } from "./support/instance";

/**
 * Issue 26 items 1, 5 and 7 through the API: payments an accountant accepts, and the migration that
 * lists rates stored at the wrong scale for the owner to keep or fix (never rescaled by itself).
 */

let instance: Instance;
beforeAll(async () => {
  instance = await startInstance();
});
afterAll(() => instance.stop());

const today = () => new Date(instance.clock.now()).toISOString().slice(0, 10);
const dayOffset = (days: number) => new Date(instance.clock.now() + days * 86_400_000).toISOString().slice(0, 10);

async function inFile<T>(tenantId: string, fn: (db: Kysely<TenantDB>) => Promise<T>): Promise<T> {
  const lease = await instance.services.pool.acquire(tenantId);
  try {
    return await fn(lease.db);
  } finally {
    lease.release();
  }
}

describe("payments (issue 26 item 5, item 7)", () => {
  let owner: Awaited<ReturnType<typeof userWithOrg>>;
  const org = "pay-rules";
  let clientId: string;

  beforeAll(async () => {
    owner = await userWithOrg(instance, org);
    clientId = ok(await owner.client.mutate("clients.create", { org, name: "Nordlicht GmbH" }), "client").id;
  });

  /** An issued invoice of €1.00 (one manual line, no tax). */
  async function oneEuroInvoice() {
    const draft = ok(
      await owner.client.mutate("invoices.create", { org, clientId, lines: [{ description: "Stamp", quantity: 1, unitPrice: 100 }] }),
      "draft",
    );
    return ok(await owner.client.mutate("invoices.issue", { org, id: draft.id }), "issue");
  }
  const pay = (invoiceId: string, amount: number, extra: Record<string, unknown> = {}) =>
    owner.client.mutate("payments.create", { org, invoiceId, paidOn: today(), amount, method: "bank_transfer", ...extra });

  it("refuses payments dated 1999 or 2099 (and before the issue date), and asks before a date ahead", async () => {
    const inv = await oneEuroInvoice();
    expect(inv.issue_date).toBe(today());
    const in1999 = await pay(inv.id, 100, { paidOn: "1999-06-01" });
    expect(in1999.status).toBe(400);
    expect(in1999.error?.message).toMatch(/Use a date between 2000 and 2100/);
    const beforeIssue = await pay(inv.id, 100, { paidOn: dayOffset(-1) });
    expect(beforeIssue.status).toBe(400);
    expect(beforeIssue.error?.message).toBe(
      `A payment cannot be dated ${dayOffset(-1)}, before Invoice ${inv.number} was issued on ${inv.issue_date}.`,
    );
    const in2099 = await pay(inv.id, 100, { paidOn: "2099-06-01", confirmFutureDate: true });
    expect(in2099.status).toBe(400);
    expect(in2099.error?.message).toBe("A payment can be dated at most a year ahead; 2099-06-01 is further.");
    const ahead = await pay(inv.id, 100, { paidOn: dayOffset(10) });
    expect(ahead.status).toBe(409);
    expect(ahead.error?.message).toBe(`${dayOffset(10)} is after today (${today()}). Confirm the date to record a payment dated ahead.`);
    const confirmed = ok(await pay(inv.id, 100, { paidOn: dayOffset(10), confirmFutureDate: true }), "post-dated");
    expect(confirmed.invoice).toMatchObject({ status: "paid", paid: 100, balance: 0, credit: 0 });
  });

  it("refuses €100,000,000,000 on €1.00 outright; an overpayment needs confirming and is recorded as the client's credit", async () => {
    const inv = await oneEuroInvoice();
    const huge = await pay(inv.id, 10_000_000_000_000, { confirmOverpayment: true });
    expect(huge.status).toBe(400);
    expect(huge.error?.message).toBe(
      "€100,000,000,000.00 is far more than the balance of €1.00 (at most €2.00, the balance plus the invoice's total, can be recorded). Check the amount.",
    );
    const over = await pay(inv.id, 150);
    expect(over.status).toBe(409);
    expect(over.error?.message).toBe(
      "€1.50 is €0.50 more than the balance of €1.00. Confirm the overpayment to record €0.50 as a credit for Nordlicht GmbH.",
    );
    const unchanged = ok(await owner.client.query("invoices.get", { org, id: inv.id }), "get");
    expect(unchanged).toMatchObject({ status: "issued", paid: 0, balance: 100 });

    const recorded = ok(await pay(inv.id, 150, { confirmOverpayment: true }), "overpayment");
    expect(recorded.invoice).toMatchObject({ status: "paid", paid: 150, credit: 50 });
    const audit = await inFile(owner.tenantId, (db) =>
      db
        .selectFrom("audit_log")
        .select("detail")
        .where("action", "=", "payment.create")
        .where("target_id", "=", recorded.payment.id)
        .executeTakeFirstOrThrow(),
    );
    expect(JSON.parse(audit.detail)).toMatchObject({ amount: 150, credit: 50, overpayment_confirmed: true, paid_in_full: true });
    // Deleting the payment takes the credit with it: it is what was received beyond the total, nothing stored apart.
    const deleted = ok(await owner.client.mutate("payments.delete", { org, id: recorded.payment.id }), "delete");
    expect(deleted.invoice).toMatchObject({ status: "issued", paid: 0, balance: 100, credit: 0 });
  });

  it("takes two part payments up to the balance without any confirmation", async () => {
    const draft = ok(
      await owner.client.mutate("invoices.create", { org, clientId, lines: [{ description: "Work", quantity: 1, unitPrice: 99_999 }] }),
      "draft",
    );
    const inv = ok(await owner.client.mutate("invoices.issue", { org, id: draft.id }), "issue");
    expect(ok(await pay(inv.id, 50_000), "first").invoice).toMatchObject({ status: "issued", balance: 49_999 });
    expect(ok(await pay(inv.id, 49_999), "second").invoice).toMatchObject({ status: "paid", balance: 0, credit: 0 });
  });
});

describe("rates stored at the wrong scale (migration 0016)", () => {
  /**
   * An organisation as the old forms left it: currency set, rates typed through the form (×100,
   * audited as a user's change) or through an API token (already in minor units), one unbilled
   * hour logged at the wrong rate. The review table is then rebuilt by running the migration again.
   */
  async function orgBeforeTheFix(slug: string, currency: string, typed: number, viaForm: number) {
    const owner = await userWithOrg(instance, slug);
    ok(await owner.client.mutate("settings.update", { org: slug, currency }), "currency");
    const me = ok(await owner.client.query("members.me", { org: slug }), "me");
    const clientId = ok(await owner.client.mutate("clients.create", { org: slug, name: "Client" }), "client").id;
    const projectId = ok(
      await owner.client.mutate("projects.create", { org: slug, clientId, name: "Site", hourlyRate: typed * 100 }),
      "project",
    ).id;
    ok(await owner.client.mutate("rates.set", { org: slug, memberId: me.userId, hourlyRate: viaForm }), "rate");
    ok(await owner.client.mutate("time.create", { org: slug, projectId, date: today(), durationSeconds: 3600, billable: true }), "hour");
    await inFile(owner.tenantId, async (db) => {
      await sql`drop table rate_scale_reviews`.execute(db);
      await migration0016.up(db);
    });
    return { owner, projectId, clientId, memberId: me.userId as string };
  }

  it("lists a yen organisation's ¥1,000,000/h (typed ¥10,000) for the owner, fixes it on request, and the hour then bills ¥10,000", async () => {
    const slug = "yen-agency";
    const { owner, projectId, clientId, memberId } = await orgBeforeTheFix(slug, "JPY", 10_000, 500_000);
    const before = ok(await owner.client.query("rates.scaleReviews", { org: slug }), "reviews");
    expect(
      before.map((r: { target: string; stored_rate: number; suggested_rate: number; unbilledEntries: number }) => [
        r.target,
        r.stored_rate,
        r.suggested_rate,
        r.unbilledEntries,
      ]),
    ).toEqual([
      ["member_rate", 500_000, 5_000, 0],
      ["project", 1_000_000, 10_000, 1],
    ]);
    // Nothing was rescaled by the migration.
    expect(ok(await owner.client.query("projects.get", { org: slug, id: projectId }), "project").hourly_rate).toBe(1_000_000);

    const projectReview = before.find((r: { target: string }) => r.target === "project")!;
    const fixed = ok(await owner.client.mutate("rates.resolveScaleReview", { org: slug, id: projectReview.id, decision: "fix" }), "fix");
    expect(fixed).toMatchObject({ decision: "fix", hourlyRate: 10_000, repriced: 1 });
    const again = await owner.client.mutate("rates.resolveScaleReview", { org: slug, id: projectReview.id, decision: "fix" });
    expect(again.status).toBe(409);
    const memberReview = before.find((r: { target: string }) => r.target === "member_rate")!;
    ok(await owner.client.mutate("rates.resolveScaleReview", { org: slug, id: memberReview.id, decision: "keep" }), "keep");
    expect(ok(await owner.client.query("rates.scaleReviews", { org: slug }), "after")).toEqual([]);
    expect(ok(await owner.client.query("rates.resolve", { org: slug, memberId, projectId }), "rate")).toEqual({
      hourlyRate: 10_000,
      source: "project",
    });

    const invoice = ok(
      await owner.client.mutate("invoices.create", { org: slug, clientId, from: dayOffset(-1), to: dayOffset(1), lines: [] }),
      "invoice",
    );
    expect(
      invoice.lines.map((l: { quantity: number; unit_price: number; amount: number }) => [l.quantity, l.unit_price, l.amount]),
    ).toEqual([[3600, 10_000, 10_000]]);
    expect(invoice).toMatchObject({ currency: "JPY", total: 10_000 });

    const audit = await inFile(owner.tenantId, (db) =>
      db.selectFrom("audit_log").select(["action", "detail"]).where("action", "like", "rate.scale_%").orderBy("id").execute(),
    );
    expect(audit.map((a) => [a.action, JSON.parse(a.detail)])).toEqual([
      [
        "rate.scale_fixed",
        expect.objectContaining({ stored_rate: 1_000_000, hourly_rate: 10_000, currency: "JPY", repriced_unbilled_entries: 1 }),
      ],
      ["rate.scale_kept", expect.objectContaining({ stored_rate: 500_000, hourly_rate: 500_000, member_id: memberId })],
    ]);
  });

  it("suggests KWD 10.000 for a dinar rate stored as KWD 1.000, and lists nothing in a two-decimal organisation", async () => {
    const { owner } = await orgBeforeTheFix("dinar-agency", "KWD", 10, 1_000);
    const reviews = ok(await owner.client.query("rates.scaleReviews", { org: "dinar-agency" }), "reviews");
    expect(reviews.map((r: { stored_rate: number; suggested_rate: number }) => [r.stored_rate, r.suggested_rate])).toEqual([
      [1_000, 10_000],
      [1_000, 10_000],
    ]);
    const euro = await orgBeforeTheFix("euro-agency", "EUR", 100, 10_000);
    expect(ok(await euro.owner.client.query("rates.scaleReviews", { org: "euro-agency" }), "none")).toEqual([]);
  });

  it("leaves out a member rate last set through an API token (already in minor units)", async () => {
    const slug = "token-yen";
    const owner = await userWithOrg(instance, slug);
    ok(await owner.client.mutate("settings.update", { org: slug, currency: "JPY" }), "currency");
    const me = ok(await owner.client.query("members.me", { org: slug }), "me");
    const minted = ok(
      await owner.client.mutate("apiTokens.create", { org: slug, name: "import script", scopes: ["time.rates.manage"], expiresInDays: 1 }),
      "token",
    );
    const api = new BearerClient(instance.url, minted.token);
    ok(await api.mutate("rates.set", { org: slug, memberId: me.userId, hourlyRate: 12_000 }), "rate via token");
    await inFile(owner.tenantId, async (db) => {
      await sql`drop table rate_scale_reviews`.execute(db);
      await migration0016.up(db);
    });
    expect(ok(await owner.client.query("rates.scaleReviews", { org: slug }), "reviews")).toEqual([]);
  });

  it("refuses a review whose rate changed since it was listed, and an id that is no review", async () => {
    const slug = "changed-yen";
    const { owner, memberId } = await orgBeforeTheFix(slug, "JPY", 8_000, 800_000);
    const review = ok(await owner.client.query("rates.scaleReviews", { org: slug }), "reviews").find(
      (r: { target: string }) => r.target === "member_rate",
    )!;
    ok(await owner.client.mutate("rates.set", { org: slug, memberId, hourlyRate: 9_000 }), "changed");
    const stale = await owner.client.mutate("rates.resolveScaleReview", { org: slug, id: review.id, decision: "fix" });
    expect(stale.status).toBe(409);
    expect(stale.error?.message).toMatch(/has changed since it was listed/);
    const missing = await owner.client.mutate("rates.resolveScaleReview", { org: slug, id: 999, decision: "keep" });
    expect(missing.status).toBe(404);
  });
});
