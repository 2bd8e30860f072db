import type { TenantCalls } from "../calls";
import type { Seeding } from "../world";

/** Nothing listens there: deliveries to it fail at once (and the seeded webhook is paused anyway). */
const DEAD_URL = "http://127.0.0.1:9/hooks";

/**
 * Valid inputs for the webhooks procedures; the isolation and proof suites call each one. The
 * seeded `webhookId` is paused, so nothing the suites do makes the dispatcher touch a file.
 */
export const webhooksCalls: TenantCalls = {
  "webhooks.list": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  "webhooks.create": {
    kind: "mutation",
    input: (t) => ({ org: t.slug, url: DEAD_URL, events: ["invoice.paid"], active: false }),
    foreignIds: "answered",
  },
  "webhooks.update": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.webhookId, events: ["task.created", "invoice.issued"] }) },
  "webhooks.delete": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.webhookId }) },
  "webhooks.rotateSecret": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.webhookId }) },
  "webhooks.deliveries": { kind: "query", input: (t) => ({ org: t.slug, webhookId: t.webhookId }) },
  "webhooks.redeliver": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.webhookDeliveryId }) },
  "webhooks.takeOwnership": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.webhookId }) },
};

/** Bad inputs for the webhooks procedures (see bad-input.test.ts); "$key" names a seeded row of the target. */
export const webhooksBadInputs = (org: string): Record<string, unknown[]> => {
  const ok = { org };
  const events = ["task.created"];
  return {
    "webhooks.list": [{ org: "Not A Slug" }],
    "webhooks.create": [
      { ...ok, events },
      { ...ok, url: "ftp://example.test/hooks", events },
      { ...ok, url: "javascript:alert(1)", events },
      { ...ok, url: "not a url", events },
      { ...ok, url: "https://user:pass@example.test/hooks", events },
      { ...ok, url: `https://example.test/${"x".repeat(2000)}`, events },
      { ...ok, url: "https://example.test/hooks", events: [] },
      { ...ok, url: "https://example.test/hooks", events: ["task.deleted"] },
      { ...ok, url: "https://example.test/hooks", events, active: "yes" },
    ],
    "webhooks.update": [
      { ...ok },
      { ...ok, id: "$webhookId", url: "file:///etc/passwd" },
      { ...ok, id: "$webhookId", events: [] },
      { ...ok, id: "$clientId", active: false },
    ],
    "webhooks.delete": [{ ...ok }, { ...ok, id: "$webhookDeliveryId" }],
    "webhooks.rotateSecret": [{ ...ok }, { ...ok, id: 5 }],
    "webhooks.deliveries": [{ ...ok }, { ...ok, webhookId: "$webhookId", status: "lost" }, { ...ok, webhookId: "$webhookId", limit: 0 }],
    "webhooks.redeliver": [{ ...ok }, { ...ok, id: "$webhookId" }],
    "webhooks.takeOwnership": [{ ...ok }, { ...ok, id: "$webhookDeliveryId" }, { ...ok, id: 7 }],
  };
};

/**
 * Through the API: a webhook on task.created, one task to give it a delivery, then the webhook is
 * paused and the dispatcher run once, so the delivery stays pending and nothing is left due.
 */
export async function seedWebhooks(s: Seeding): Promise<void> {
  const org = s.target.slug;
  const ok = <T>(what: string, res: { status: number; data: T; error: unknown }) => {
    if (res.status !== 200) throw new Error(`seeding ${org} ${what}: ${JSON.stringify(res.error)}`);
    return res.data;
  };
  const created = ok("webhook", await s.owner.mutate("webhooks.create", { org, url: DEAD_URL, events: ["task.created"] }));
  s.target.webhookId = created.webhook.id;
  ok("task", await s.owner.mutate("tasks.create", { org, projectId: s.target.projectId, title: "Announced by webhook" }));
  ok("pause", await s.owner.mutate("webhooks.update", { org, id: created.webhook.id, active: false }));
  await s.instance.services.webhooks.runOnce();
  const log = ok("deliveries", await s.owner.query("webhooks.deliveries", { org, webhookId: created.webhook.id }));
  s.target.webhookDeliveryId = log[0].id;
}
