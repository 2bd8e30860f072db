import type { Kysely } from "kysely";
import { UNOWNED_REASON } from "../../db/tenant/migrations/0014_webhook_owners";
import { tenantDb } from "../../db/tenant/context";
import type { TenantDB } from "../../db/tenant/schema";
import { memberView, type MemberView } from "../digest/member-access";
import { webhookPausedMessage } from "../email/templates";
import type { Mailer } from "../email/mailer";
import { permissionsOf } from "../permissions/roles";

export { UNOWNED_REASON };

/** Why a webhook may not send as this owner now, or null: gone, or without webhook.manage. */
export function ownerProblem(ownerId: string | null, owner: MemberView | null): string | null {
  if (ownerId === null) return UNOWNED_REASON;
  if (!owner) return "Its owner is no longer a member of the organisation: an admin must take ownership before it sends again.";
  if (!owner.permissions.has("webhook.manage"))
    return `Its owner, ${owner.name}, no longer holds webhook.manage: an admin must take ownership before it sends again.`;
  return null;
}

export interface PausedWebhook {
  id: string;
  url: string;
  reason: string;
}

/**
 * Pauses every active webhook whose owner is gone, deleted (a deleted account's row keeps no
 * permissions) or no longer holds webhook.manage, with the reason, and records it. Called right after
 * a member is removed, leaves or changes role, after a role is edited, and by the dispatcher before
 * each send, so no path that takes the permission away (account deletion included) is missed.
 */
export async function pauseWebhooksOfLostOwners(db: Kysely<TenantDB>, now: number, only?: string): Promise<PausedWebhook[]> {
  let q = db.selectFrom("webhooks").select(["id", "url", "owner_id"]).where("active", "=", 1);
  if (only) q = q.where("id", "=", only);
  const paused: PausedWebhook[] = [];
  for (const hook of await q.execute()) {
    const reason = ownerProblem(hook.owner_id, hook.owner_id ? await memberView(db, hook.owner_id) : null);
    if (!reason) continue;
    const changed = await db
      .updateTable("webhooks")
      .set({ active: 0, paused_reason: reason, updated_at: now })
      .where("id", "=", hook.id)
      .where("active", "=", 1)
      .executeTakeFirst();
    if (Number(changed.numUpdatedRows) === 0) continue; // another path paused it first and sent the email
    await db
      .insertInto("audit_log")
      .values({
        at: now,
        actor_kind: "system",
        actor_id: "webhooks",
        ip: null,
        user_agent: null,
        action: "webhook.pause",
        target_type: "webhook",
        target_id: hook.id,
        detail: JSON.stringify({ origin: new URL(hook.url).origin, owner_id: hook.owner_id, reason }),
      })
      .execute();
    paused.push({ id: hook.id, url: hook.url, reason });
  }
  return paused;
}

/** Emails the members who can act on it (webhook.manage) that these webhooks were paused. */
export async function emailWebhookAdmins(
  deps: { mailer: Mailer; log: (line: string) => void },
  db: Kysely<TenantDB>,
  org: { name: string; link: string },
  paused: PausedWebhook[],
) {
  if (paused.length === 0) return;
  const members = await db
    .selectFrom("members")
    .leftJoin("roles", "roles.id", "members.role")
    .select(["members.email", "members.role", "roles.permissions"])
    .execute();
  const admins = members.filter((m) => permissionsOf(m.role, m.permissions).has("webhook.manage"));
  for (const admin of admins) {
    try {
      await deps.mailer.send(webhookPausedMessage(admin.email, org.name, org.link, paused));
    } catch (error) {
      // The pause stands and is on the screen and in the audit log; a lost email must not undo it.
      deps.log(`[webhooks] could not email ${admin.email} about paused webhooks: ${String(error)}`);
    }
  }
}

/**
 * After a change that can take webhook.manage or membership away (member removed, left, role
 * changed, role edited): pauses the webhooks of owners who lost it and emails the admins, at once.
 * Runs in the request's tenant scope after its transaction committed; the dispatcher checks the
 * owner again before every send, which covers paths that do not call this (account deletion).
 */
export async function pauseForLostOwners(
  services: { mailer: Mailer; log: (line: string) => void; clock: { now(): number }; config: { appUrl: string | null; port: number } },
  tenant: { name: string; slug: string },
) {
  const db = tenantDb();
  const paused = await pauseWebhooksOfLostOwners(db, services.clock.now());
  const link = `${services.config.appUrl ?? `http://localhost:${services.config.port}`}/o/${tenant.slug}/settings/webhooks`;
  await emailWebhookAdmins(services, db, { name: tenant.name, link }, paused);
}
