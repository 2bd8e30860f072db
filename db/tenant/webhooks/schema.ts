import type { Selectable } from "kysely";

export interface WebhooksTable {
  id: string;
  url: string;
  /** JSON array of event names (see WEBHOOK_EVENTS). */
  events: string;
  /** Envelope sealed with the organisation's data key, AAD { table: "webhooks", row: id, field: "secret" }. */
  secret: Buffer;
  active: number;
  created_at: number;
  updated_at: number;
}

export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  event: string;
  /** The JSON body sent, minus nothing: it holds no secret. */
  payload: string;
  status: "pending" | "delivered" | "failed";
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
