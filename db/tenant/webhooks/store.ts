import { tenantDb } from "../context";
import type { WebhookDeliveryRow, WebhookRow } from "./schema";

/**
 * What the API shows of a webhook: everything but the secret, which is never read back out, plus
 * whose sight it sends (issue 25) and why the system paused it, if it did.
 */
export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  owner: { id: string; name: string | null } | null;
  paused_reason: string | null;
  created_at: number;
  updated_at: number;
}

function selectViews() {
  return tenantDb()
    .selectFrom("webhooks as w")
    .leftJoin("members as m", "m.user_id", "w.owner_id")
    .select([
      "w.id",
      "w.url",
      "w.events",
      "w.active",
      "w.owner_id",
      "m.name as owner_name",
      "w.paused_reason",
      "w.created_at",
      "w.updated_at",
    ]);
}

type ViewRow = Awaited<ReturnType<ReturnType<typeof selectViews>["executeTakeFirstOrThrow"]>>;

function view({ owner_id, owner_name, ...row }: ViewRow): WebhookView {
  return {
    ...row,
    events: JSON.parse(row.events) as string[],
    active: row.active === 1,
    // A name of null: the owner is no longer a member (the webhook is then paused).
    owner: owner_id === null ? null : { id: owner_id, name: owner_name },
  };
}

export async function listWebhooks(): Promise<WebhookView[]> {
  return (await selectViews().orderBy("w.created_at").orderBy("w.id").execute()).map(view);
}

export async function findWebhook(id: string): Promise<WebhookView | null> {
  const row = await selectViews().where("w.id", "=", id).executeTakeFirst();
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
  changes: { url?: string; events?: string[]; active?: boolean; secret?: Buffer; ownerId?: string },
  now: number,
) {
  await tenantDb()
    .updateTable("webhooks")
    .set({
      ...(changes.url !== undefined && { url: changes.url }),
      ...(changes.events !== undefined && { events: JSON.stringify(changes.events) }),
      // Any pause or resume by a person replaces the system's reason for pausing.
      ...(changes.active !== undefined && { active: changes.active ? 1 : 0, paused_reason: null }),
      ...(changes.ownerId !== undefined && { owner_id: changes.ownerId }),
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
