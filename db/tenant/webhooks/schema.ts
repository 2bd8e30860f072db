import type { Selectable } from "kysely";

export interface WebhooksTable {
  id: string;
  url: string;
  /** JSON array of event names (see WEBHOOK_EVENTS). */
  events: string;
  /** Envelope sealed with the organisation's data key, AAD { table: "webhooks", row: id, field: "secret" }. */
  secret: Buffer;
  active: number;
  /** The member whose current sight filters every delivery (issue 25); null only when none is known (then paused). */
  owner_id: string | null;
  /** Why the system paused it (owner gone or demoted, no owner known); null when paused or resumed by hand. */
  paused_reason: string | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  event: string;
  /**
   * The event as it happened (holds no secret). What is sent, and what the log shows a reader, is
   * this filtered by the owner's or reader's sight at that moment (server/webhooks/scope.ts).
   */
  payload: string;
  /** skipped: about something the owner may not see (or a field-less event), never sent; last_error says why. */
  status: "pending" | "delivered" | "failed" | "skipped";
  attempts: number;
  /** Integer ms, UTC; null once delivered or failed. */
  next_attempt_at: number | null;
  last_status_code: number | null;
  last_duration_ms: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface WebhookTables {
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
}

export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
