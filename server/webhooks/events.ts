import { currentTenant, tenantDb } from "../../db/tenant/context";
import { newId } from "../auth/tokens";
import type { Services } from "../services";

/** Every event a webhook can subscribe to. */
export const WEBHOOK_EVENTS = [
  "task.created",
  "task.status_changed",
  "time_entry.created",
  "invoice.issued",
  "invoice.paid",
  "member.joined",
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** The JSON body a receiver gets; `id` is the delivery id (also in X-Opslayer-Delivery). */
export function deliveryBody(id: string, event: string, at: number, data: unknown) {
  return JSON.stringify({ id, event, created_at: new Date(at).toISOString(), data });
}

/**
 * Enqueues `event` for every active webhook of the current organisation subscribed to it: one
 * pending delivery row each, written through the caller's handle. Call it inside the transaction of
 * the change it reports (after the change), so the delivery exists exactly when the change commits.
 * Sends nothing itself: the dispatcher does, later, off the request.
 */
export async function emitEvent(services: Pick<Services, "clock" | "webhooks">, event: WebhookEvent, data: Record<string, unknown>) {
  const db = tenantDb();
  const hooks = await db.selectFrom("webhooks").select(["id", "events"]).where("active", "=", 1).execute();
  const subscribed = hooks.filter((h) => (JSON.parse(h.events) as string[]).includes(event));
  if (subscribed.length === 0) return;
  const now = services.clock.now();
  await db
    .insertInto("webhook_deliveries")
    .values(
      subscribed.map((h) => {
        const id = newId("d");
        return {
          id,
          webhook_id: h.id,
          event,
          payload: deliveryBody(id, event, now, data),
          status: "pending" as const,
          attempts: 0,
          next_attempt_at: now,
          created_at: now,
        };
      }),
    )
    .execute();
  services.webhooks.notify(currentTenant().tenantId, now);
}
