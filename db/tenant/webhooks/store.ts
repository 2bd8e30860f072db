import { tenantDb } from "../context";
import type { WebhookDeliveryRow, WebhookRow } from "./schema";

/** What the API shows of a webhook: everything but the secret, which is never read back out. */
export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  created_at: number;
  updated_at: number;
}

const viewColumns = ["id", "url", "events", "active", "created_at", "updated_at"] as const;

function view(row: Pick<WebhookRow, (typeof viewColumns)[number]>): WebhookView {
  return { ...row, events: JSON.parse(row.events) as string[], active: row.active === 1 };
}

export async function listWebhooks(): Promise<WebhookView[]> {
  return (await tenantDb().selectFrom("webhooks").select(viewColumns).orderBy("created_at").orderBy("id").execute()).map(view);
}

export async function findWebhook(id: string): Promise<WebhookView | null> {
  const row = await tenantDb().selectFrom("webhooks").select(viewColumns).where("id", "=", id).executeTakeFirst();
  return row ? view(row) : null;
}

export async function countWebhooks() {
  const row = await tenantDb()
    .selectFrom("webhooks")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertWebhook(row: WebhookRow) {
  await tenantDb().insertInto("webhooks").values(row).execute();
}

export async function updateWebhook(
  id: string,
  changes: { url?: string; events?: string[]; active?: boolean; secret?: Buffer },
  now: number,
) {
  await tenantDb()
    .updateTable("webhooks")
    .set({
      ...(changes.url !== undefined && { url: changes.url }),
      ...(changes.events !== undefined && { events: JSON.stringify(changes.events) }),
      ...(changes.active !== undefined && { active: changes.active ? 1 : 0 }),
      ...(changes.secret !== undefined && { secret: changes.secret }),
      updated_at: now,
    })
    .where("id", "=", id)
    .execute();
}

export async function deleteWebhook(id: string) {
  await tenantDb().deleteFrom("webhooks").where("id", "=", id).execute();
}

/** The delivery log of one webhook, newest first. */
export async function listDeliveries(webhookId: string, opts: { status?: WebhookDeliveryRow["status"]; limit: number; offset: number }) {
  let q = tenantDb().selectFrom("webhook_deliveries").selectAll().where("webhook_id", "=", webhookId);
  if (opts.status) q = q.where("status", "=", opts.status);
  return q.orderBy("created_at", "desc").orderBy("id", "desc").limit(opts.limit).offset(opts.offset).execute();
}

export async function findDelivery(id: string): Promise<WebhookDeliveryRow | null> {
  return (await tenantDb().selectFrom("webhook_deliveries").selectAll().where("id", "=", id).executeTakeFirst()) ?? null;
}

export async function insertDelivery(row: WebhookDeliveryRow) {
  await tenantDb().insertInto("webhook_deliveries").values(row).execute();
}
