import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migration0016 } from "../../db/tenant/migrations/0016_rate_scale_review";
import { formatMoney } from "../../app/lib/money";
import { userWithOrg } from "./support/accounts";
import { ok } from "./support/client";
import { startWebInstance } from "./support/web-instance";

/**
 * The reproductions of issue 26 item 1 / 7 and issue 30 items 1–2 through the web forms themselves:
 * real HTTP posts of the form fields a browser sends, to the Remix routes, on a real server.
 */

let instance: Awaited<ReturnType<typeof startWebInstance>>;
beforeAll(async () => {
  instance = await startWebInstance();
}, 120_000);
afterAll(() => instance.stop());

const today = () => new Date(instance.clock.now()).toISOString().slice(0, 10);
const dayOffset = (days: number) => new Date(instance.clock.now() + days * 86_400_000).toISOString().slice(0, 10);

type Owner = Awaited<ReturnType<typeof userWithOrg>>;

/** A browser's form post (no script): urlencoded fields, the session cookie, the page's origin and the person's languages. */
function post(owner: Owner, path: string, fields: Record<string, string>, language = "en-US,en;q=0.9") {
  return fetch(instance.web + path, {
    method: "POST",
    redirect: "manual",
    body: new URLSearchParams(fields),
    headers: {
      cookie: owner.client.cookieHeader(),
      origin: instance.web,
      "content-type": "application/x-www-form-urlencoded",
      "accept-language": language,
    },
  });
}
function page(owner: Owner, path: string, language = "en-US,en;q=0.9") {
  return fetch(instance.web + path, { headers: { cookie: owner.client.cookieHeader(), "accept-language": language } });
}
/** The text of an HTML page as a person reads it (entities decoded, tags dropped). */
const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, " ")
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");

async function orgIn(slug: string, currency: string) {
  const owner = await userWithOrg(instance, slug);
  ok(await owner.client.mutate("settings.update", { org: slug, currency }), "currency");
  const me = ok(await owner.client.query("members.me", { org: slug }), "me");
  const clientId = ok(await owner.client.mutate("clients.create", { org: slug, name: "Nordlicht GmbH" }), "client").id as string;
  const projectId = ok(await owner.client.mutate("projects.create", { org: slug, clientId, name: "Website" }), "project").id as string;
  return { owner, memberId: me.userId as string, clientId, projectId };
}

/** One hour logged today, then invoiced: the amount the organisation would bill for it. */
async function billOneHour(owner: Owner, slug: string, clientId: string, projectId: string) {
  ok(await owner.client.mutate("time.create", { org: slug, projectId, date: today(), durationSeconds: 3600, billable: true }), "hour");
  const invoice = ok(
    await owner.client.mutate("invoices.create", { org: slug, clientId, from: dayOffset(-1), to: dayOffset(1), lines: [] }),
    "invoice",
  );
  return invoice.lines[0] as { quantity: number; unit_price: number; amount: number };
}

describe("rates typed in the web forms are stored at the currency's own scale (issue 26 item 1)", () => {
  it("¥10,000/h typed on the Rates page stores 10000 and bills ¥10,000 for an hour", async () => {
    const slug = "yen-forms";
    const { owner, memberId, clientId, projectId } = await orgIn(slug, "JPY");
    const res = await post(owner, `/o/${slug}/settings/rates`, { intent: "set", memberId, rate: "10,000" });
    expect(res.status).toBe(302);
    const rates = ok(await owner.client.query("rates.list", { org: slug }), "rates");
    expect(rates.members.find((m: { user_id: string }) => m.user_id === memberId).default_rate).toBe(10_000);
    const line = await billOneHour(owner, slug, clientId, projectId);
    expect(line).toMatchObject({ quantity: 3600, unit_price: 10_000, amount: 10_000 });
    expect(formatMoney(line.amount, "JPY")).toBe("¥10,000");
    // The page shows the rate back in the field as it would be typed.
    expect(await (await page(owner, `/o/${slug}/settings/rates`)).text()).toContain('value="10,000"');
  });

  it("10 KWD/h typed in the project form bills KWD 10.000 for an hour", async () => {
    const slug = "dinar-forms";
    const { owner, clientId, projectId } = await orgIn(slug, "KWD");
    const res = await post(owner, `/o/${slug}/projects/${projectId}`, {
      clientId,
      name: "Website",
      code: "",
      status: "active",
      hourlyRate: "10",
      budgetHours: "",
    });
    expect(res.status).toBe(302);
    expect(ok(await owner.client.query("projects.get", { org: slug, id: projectId }), "project").hourly_rate).toBe(10_000);
    const line = await billOneHour(owner, slug, clientId, projectId);
    expect(line).toMatchObject({ unit_price: 10_000, amount: 10_000 });
    expect(formatMoney(line.amount, "KWD")).toBe("KWD\u00a010.000");
  });

  it('"110,50" in a de/EUR organisation is €110.50; from an English browser it is a clear error, never €11,050.00', async () => {
    const slug = "euro-forms";
    const { owner, clientId, projectId } = await orgIn(slug, "EUR");
    const fields = { clientId, name: "Website", code: "", status: "active", hourlyRate: "110,50", budgetHours: "" };
    const english = await post(owner, `/o/${slug}/projects/${projectId}`, fields);
    expect(english.status).toBe(200);
    expect(text(await english.text())).toContain(
      "In your number format (en-US) “,” separates thousands and the decimal separator is “.”: write 110.50.",
    );
    expect(ok(await owner.client.query("projects.get", { org: slug, id: projectId }), "unchanged").hourly_rate).toBe(0);

    const german = await post(owner, `/o/${slug}/projects/${projectId}`, fields, "de-DE,de;q=0.9");
    expect(german.status).toBe(302);
    expect(ok(await owner.client.query("projects.get", { org: slug, id: projectId }), "project").hourly_rate).toBe(11_050);
    const rates = await post(
      owner,
      `/o/${slug}/settings/rates`,
      { intent: "set", memberId: (await owner.client.query("members.me", { org: slug })).data.userId, rate: "1.234,5" },
      "de-DE",
    );
    expect(rates.status).toBe(302);
    const me = ok(await owner.client.query("members.me", { org: slug }), "me");
    const listed = ok(await owner.client.query("rates.list", { org: slug }), "rates");
    expect(listed.members.find((m: { user_id: string }) => m.user_id === me.userId).default_rate).toBe(123_450);
  });
});

describe("the Rates page lists rates stored at the wrong scale for the owner (migration 0016)", () => {
  it("shows ¥1,000,000/h with the probable ¥10,000, and its Fix button stores 10000 and re-prices the unbilled hour", async () => {
    const slug = "yen-review";
    const { owner, clientId, projectId } = await orgIn(slug, "JPY");
    // As the old project form left it: ¥10,000 typed, ×100 stored; one hour logged at that rate.
    ok(await owner.client.mutate("projects.update", { org: slug, id: projectId, hourlyRate: 1_000_000 }), "old rate");
    ok(await owner.client.mutate("time.create", { org: slug, projectId, date: today(), durationSeconds: 3600, billable: true }), "hour");
    const lease = await instance.services.pool.acquire(owner.tenantId);
    try {
      await sql`drop table rate_scale_reviews`.execute(lease.db);
      await migration0016.up(lease.db);
    } finally {
      lease.release();
    }
    const listed = text(await (await page(owner, `/o/${slug}/settings/rates`)).text());
    expect(listed).toContain("Rates to check: possibly stored at the wrong scale");
    expect(listed).toMatch(/Project Website ¥1,000,000 ?\/h ¥10,000 ?\/h 1 Fix to ¥10,000 Keep ¥1,000,000/);
    const [review] = ok(await owner.client.query("rates.scaleReviews", { org: slug }), "reviews");
    const fixed = await post(owner, `/o/${slug}/settings/rates`, { intent: "review-fix", reviewId: String(review.id) });
    expect(fixed.status).toBe(302);
    expect(ok(await owner.client.query("projects.get", { org: slug, id: projectId }), "project").hourly_rate).toBe(10_000);
    expect(text(await (await page(owner, `/o/${slug}/settings/rates`)).text())).not.toContain("Rates to check");
    const invoice = ok(
      await owner.client.mutate("invoices.create", { org: slug, clientId, from: dayOffset(-1), to: dayOffset(1), lines: [] }),
      "invoice",
    );
    expect(invoice.total).toBe(10_000);
  });
});

describe("the invoice form reads numbers strictly (issue 26 item 7)", () => {
  it('refuses "0x10" and "1e3" as quantities and creates nothing; "49,90" in German is €49.90', async () => {
    const slug = "strict-invoices";
    const { owner, clientId } = await orgIn(slug, "EUR");
    const form = (quantity: string, price: string) => ({
      clientId,
      from: today(),
      to: today(),
      currency: "EUR",
      taxRate: "0",
      description0: "Licence",
      quantity0: quantity,
      price0: price,
      dueDate: "",
      notes: "",
    });
    for (const quantity of ["0x10", "1e3"]) {
      const res = await post(owner, `/o/${slug}/invoices/new`, form(quantity, "10.00"));
      expect([quantity, res.status]).toEqual([quantity, 200]);
      expect(text(await res.text())).toContain("Use digits and a decimal point only, such as 1.5.");
    }
    expect(ok(await owner.client.query("invoices.list", { org: slug }), "none")).toHaveLength(0);
    const german = await post(owner, `/o/${slug}/invoices/new`, form("2", "49,90"), "de-DE");
    expect(german.status).toBe(302);
    const [draft] = ok(await owner.client.query("invoices.list", { org: slug }), "draft");
    expect(
      ok(await owner.client.query("invoices.get", { org: slug, id: draft.id }), "lines").lines.map(
        (l: { quantity: number; unit_price: number; amount: number }) => [l.quantity, l.unit_price, l.amount],
      ),
    ).toEqual([[2000, 4_990, 9_980]]);
  });
});

describe("the payment form (issue 26 item 5, issue 30 items 1–2)", () => {
  it("starts at the balance after each payment, reads '500,00' as €500.00, and asks before recording an overpayment as credit", async () => {
    const slug = "pay-forms";
    const { owner, clientId } = await orgIn(slug, "EUR");
    const draft = ok(
      await owner.client.mutate("invoices.create", {
        org: slug,
        clientId,
        lines: [{ description: "Work", quantity: 1, unitPrice: 125_000 }],
      }),
      "draft",
    );
    ok(await owner.client.mutate("invoices.issue", { org: slug, id: draft.id }), "issue");
    const path = `/o/${slug}/invoices/${draft.id}`;
    const amountField = async () =>
      /name="amount"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="amount"/
        .exec(await (await page(owner, path, "de-DE")).text())
        ?.slice(1)
        .find(Boolean);
    expect(await amountField()).toBe("1.250,00");

    const pay = (amount: string, extra: Record<string, string> = {}) =>
      post(
        owner,
        path,
        { intent: "pay", currency: "EUR", paidOn: today(), amount, method: "bank_transfer", reference: "", note: "", ...extra },
        "de-DE",
      );
    expect((await pay("500,00")).status).toBe(200);
    expect(ok(await owner.client.query("invoices.get", { org: slug, id: draft.id }), "first")).toMatchObject({
      paid: 50_000,
      balance: 75_000,
    });
    expect(await amountField()).toBe("750,00");

    const over = await pay("800,00");
    const overPage = text(await over.text());
    expect(overPage).toContain(
      "€800.00 is €50.00 more than the balance of €750.00. Confirm the overpayment to record €50.00 as a credit for Nordlicht GmbH.",
    );
    expect(overPage).toContain("Yes, the client paid more than the balance");
    expect(ok(await owner.client.query("invoices.get", { org: slug, id: draft.id }), "unchanged")).toMatchObject({ paid: 50_000 });

    expect((await pay("800,00", { confirmOverpayment: "1" })).status).toBe(200);
    expect(ok(await owner.client.query("invoices.get", { org: slug, id: draft.id }), "paid")).toMatchObject({
      status: "paid",
      paid: 130_000,
      credit: 5_000,
    });
    expect(text(await (await page(owner, path)).text())).toContain("Credit for Nordlicht GmbH (overpaid) €50.00");
  });
});
