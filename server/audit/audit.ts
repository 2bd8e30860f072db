import { tenantDb } from "../../db/tenant/context";
import type { Actor } from "../trpc/tenant-context";

export interface AuditTarget {
  type: string;
  id: string;
}

/**
 * Appends one audit row through the tenant's current handle. Called inside inTenantTransaction, the
 * row commits or rolls back with the change it describes.
 */
export async function audit(actor: Actor, action: string, target: AuditTarget | null, detail: Record<string, unknown> = {}) {
  await tenantDb()
    .insertInto("audit_log")
    .values({
      at: Date.now(),
      actor_kind: actor.kind,
      actor_id: actor.id,
      ip: actor.ip,
      user_agent: actor.userAgent?.slice(0, 300) ?? null,
      action,
      target_type: target?.type ?? null,
      target_id: target?.id ?? null,
      detail: JSON.stringify(detail),
    })
    .execute();
}
