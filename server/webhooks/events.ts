import { currentTenant, tenantDb } from "../../db/tenant/context";
import { newId } from "../auth/tokens";
import { memberView } from "../digest/member-access";
import type { Services } from "../services";
import { ownerProblem } from "./owner";
import { scopeEvent } from "./scope";

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
 *
 * A webhook whose owner cannot see what the event is about gets no row at all: a "skipped" row in
 * its delivery log would still tell the owner that something happened in a project hidden from
 * them, and when. The dispatcher filters again at send time, for sight lost after the event; a
 * webhook whose owner is gone keeps its row, so the dispatcher pauses it and tells the admins.
 */
export async function emitEvent(services: Pick<Services, "clock" | "webhooks">, event: WebhookEvent, data: Record<string, unknown>) {
  const db = tenantDb();
  const hooks = await db.selectFrom("webhooks").select(["id", "events", "owner_id"]).where("active", "=", 1).execute();
  const subscribed = [];
  for (const h of hooks.filter((h) => (JSON.parse(h.events) as string[]).includes(event))) {
    const owner = h.owner_id ? await memberView(db, h.owner_id) : null;
    if (!owner || ownerProblem(h.owner_id, owner) || (await scopeEvent(db, owner, event, data)).send) subscribed.push(h);
  }
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
