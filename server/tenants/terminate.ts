import { readdirSync, rmSync } from "node:fs";
import type { ExpressionBuilder } from "kysely";
import type { ControlDB } from "../../db/control/schema";
import { basename, join } from "node:path";
import { deleteTenantFile } from "../../db/tenant/provision";
import { tenantFilePath } from "../../db/tenant/paths";
import { logSecurityEvent } from "../audit/security-log";
import type { RequestInfo } from "../auth/session";
import { shredControlWal } from "../../db/control/open";
import { blobDir } from "../files/storage";
import type { Services } from "../services";
import { conflict, notFound } from "../trpc/errors";
import { shredBackups } from "./shred-backups";
import { tombstoneTenant } from "./tombstone";

/**
 * Terminating an organisation, in three steps (ADR 009):
 *   close    → status "closed" now: the door, support sessions, tokens and the webhook dispatcher
 *              all admit active organisations only, so nobody reaches the data from this moment;
 *   restore  → back to "active", by an owner, while now < purge_after (ORG_GRACE_DAYS);
 *   purge    → after purge_after: the file (+ -wal, -shm, -journal), attachment blobs and export
 *              archives are deleted, the data key destroyed, and the control row cut down to a
 *              tombstone (status "purged", slug kept so the address is never handed to someone else);
 *              its backups and backed-up blobs under BACKUP_DIR go in the same purge, and control
 *              backups keep only its tombstone (ADR 020).
 */

export interface Actor {
  /** The owner who acted; null for the operator CLI or the scheduler. */
  userId: string | null;
}

const SYSTEM: RequestInfo = { ip: "system", userAgent: null };
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

async function tenantRow(services: Services, tenantId: string) {
  const row = await services.control.selectFrom("tenants").selectAll().where("id", "=", tenantId).executeTakeFirst();
  if (!row) throw notFound("Organisation");
  return row;
}

/** One row in the organisation's own audit log; best effort once the control DB has decided. */
async function auditInTenant(
  services: Services,
  tenantId: string,
  by: Actor,
  info: RequestInfo,
  action: string,
  detail: Record<string, unknown>,
) {
  const lease = await services.pool.acquire(tenantId);
  try {
    await lease.db
      .insertInto("audit_log")
      .values({
        at: services.clock.now(),
        actor_kind: by.userId ? "user" : "system",
        actor_id: by.userId,
        ip: info.ip,
        user_agent: info.userAgent?.slice(0, 300) ?? null,
        action,
        target_type: "org",
        target_id: tenantId,
        detail: JSON.stringify(detail),
      })
      .execute();
  } finally {
    lease.release();
  }
}

/**
 * Closes an active organisation at once. The status change, the revocation of support grants and
 * pending invitations, and the security log row commit together in the control DB: that is the
 * moment the organisation closes. API tokens are left as they are: the door refuses them while the
 * organisation is closed, and a restore brings the organisation back as it was.
 */
export async function closeOrganisation(services: Services, tenantId: string, by: Actor, info: RequestInfo) {
  const { control, clock, config } = services;
  const tenant = await tenantRow(services, tenantId);
  if (tenant.status !== "active")
    throw conflict(tenant.status === "closed" ? "This organisation is already closed." : "This organisation cannot be closed.");
  const now = clock.now();
  const purgeAfter = now + config.orgGraceMs;
  const closed = await control.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable("tenants")
      .set({ status: "closed", closed_at: now, closed_by: by.userId, purge_after: purgeAfter })
      .where("id", "=", tenantId)
      .where("status", "=", "active")
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    const live = trx.selectFrom("support_grants").select("id").where("tenant_id", "=", tenantId).where("revoked_at", "is", null);
    await trx.deleteFrom("support_sessions").where("grant_id", "in", live).execute();
    await trx
      .updateTable("support_grants")
      .set({ revoked_at: now, revoked_by: by.userId })
      .where("tenant_id", "=", tenantId)
      .where("revoked_at", "is", null)
      .execute();
    await trx
      .updateTable("invitations")
      .set({ revoked_at: now, revoked_by: by.userId })
      .where("tenant_id", "=", tenantId)
      .where("accepted_at", "is", null)
      .where("revoked_at", "is", null)
      .execute();
    await logSecurityEvent(trx, now, "org.closed", { userId: by.userId }, info, { tenant: tenantId, slug: tenant.slug, purgeAfter });
    return true;
  });
  if (!closed) throw conflict("This organisation is already closed.");
  await auditInTenant(services, tenantId, by, info, "org.close", { purgeAfter });
  // Requests already inside finish on their lease; the handle closes when the last one lets go.
  await services.pool.close(tenantId);
  return { tenantId, slug: tenant.slug, name: tenant.name, closedAt: now, purgeAfter };
}

/** Reopens a closed organisation while its grace period lasts. */
export async function restoreOrganisation(services: Services, tenantId: string, by: Actor, info: RequestInfo) {
  const { control, clock } = services;
  const tenant = await tenantRow(services, tenantId);
  const now = clock.now();
  if (tenant.status === "active") throw conflict("This organisation is not closed.");
  if (tenant.status !== "closed" || tenant.purge_after === null || now >= tenant.purge_after) {
    throw conflict(
      tenant.purge_after !== null && tenant.status === "closed"
        ? `The grace period of ${tenant.slug} ended on ${day(tenant.purge_after)}; its data is being destroyed and cannot be restored.`
        : `${tenant.slug} was destroyed after its grace period and cannot be restored.`,
    );
  }
  const restored = await control.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable("tenants")
      .set({ status: "active", closed_at: null, closed_by: null, purge_after: null })
      .where("id", "=", tenantId)
      .where("status", "=", "closed")
      .where("purge_after", ">", now)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    await logSecurityEvent(trx, now, "org.restored", { userId: by.userId }, info, { tenant: tenantId, slug: tenant.slug });
    return true;
  });
  if (!restored) throw conflict(`${tenant.slug} can no longer be restored.`);
  await auditInTenant(services, tenantId, by, info, "org.restore", { closedAt: tenant.closed_at });
  return { tenantId, slug: tenant.slug, name: tenant.name };
}

/** A type, not an interface: the scheduler records a job's result as a plain record. */
export type PurgeResult = {
  purged: string[];
  failed: { tenantId: string; error: string }[];
  /** The control DB's WAL was checkpointed and truncated: no old copy of a purged row is left in it. */
  walShredded: boolean;
};

/** Closed organisations whose grace period is over, and those a purge claimed but did not finish. */
export const dueForPurge = (now: number) => (eb: ExpressionBuilder<ControlDB, "tenants">) =>
  eb.or([
    eb.and([eb("status", "=", "closed"), eb("purge_after", "is not", null), eb("purge_after", "<=", now)]),
    eb("status", "=", "purging"),
  ]);

/** What `purge --dry-run` lists: the organisations a purge run now would destroy. */
export async function organisationsDueForPurge(services: Pick<Services, "control" | "clock">) {
  return services.control
    .selectFrom("tenants")
    .select(["id", "slug", "name", "status", "closed_at", "purge_after"])
    .where(dueForPurge(services.clock.now()))
    .orderBy("purge_after")
    .execute();
}

/**
 * Destroys every closed organisation whose grace period is over (purge_after <= now). Per
 * organisation, in this order:
 *   1. claim it: closed → "purging", in one guarded update. A restore that lands first leaves it
 *      active and the claim takes nothing; one that comes after finds it no longer closed. Without
 *      the claim a restore racing the run could reopen an organisation whose file was deleted;
 *   2. close its pool handle, delete the database file with -wal/-shm/-journal, its blobs directory
 *      and its export archives: the file holds the data in plain text, so it goes first;
 *   3. one control transaction: the row cut to its tombstone (tombstoneTenant: data key destroyed,
 *      memberships, grants, tokens… deleted), still "purging", so a backup started from now on
 *      copies neither the organisation nor its key;
 *   4. its backups and blobs in BACKUP_DIR deleted, and its row in every control backup cut to the
 *      same tombstone (shredBackups; needs the backup lock, so a running backup postpones this
 *      organisation to the next run);
 *   5. status "purged" and "org.purged" logged.
 * After the organisations, the control DB's WAL is checkpointed and truncated (the DB runs with
 * secure_delete, so the freed cells are already zeroed): no old frame with a wrapped key survives.
 * Every step is idempotent and "purging" rows are picked up again, so a crash anywhere leaves a
 * row that the next run finishes. One organisation failing does not stop the others; failures are
 * returned (and logged).
 */
export async function purgeClosedOrganisations(
  services: Services,
  /** From the CLI: the running server closes its own handle on the organisation first (a deleted file it kept open would keep the data). */
  outOfService?: (tenant: { id: string; slug: string }) => Promise<() => Promise<void>>,
): Promise<PurgeResult> {
  const { control, clock, config, pool, keys } = services;
  const now = clock.now();
  const due = await organisationsDueForPurge(services);
  const result: PurgeResult = { purged: [], failed: [], walShredded: false };
  for (const tenant of due) {
    try {
      const claim = await control
        .updateTable("tenants")
        .set({ status: "purging" })
        .where("id", "=", tenant.id)
        .where(dueForPurge(now))
        .executeTakeFirst();
      if (Number(claim.numUpdatedRows) === 0) continue;
      const backInService = await outOfService?.(tenant);
      try {
        await pool.close(tenant.id);
        deleteTenantFile(config.dataDir, tenant.id);
        rmSync(`${tenantFilePath(config.dataDir, tenant.id)}.lock`, { force: true });
        rmSync(blobDir(config.dataDir, tenant.id), { recursive: true, force: true });
        await removeExportFiles(services, tenant.id);
      } finally {
        // The server's door refuses a purging organisation from here on; it opens no handle again.
        await backInService?.();
      }
      await control.transaction().execute(async (trx) => {
        if (!(await tombstoneTenant(trx, tenant.id, now, ["purging"], "purging")))
          throw new Error("the organisation is no longer being purged");
      });
      // Also drops the process's cached unwrapped key; the column is already null.
      await keys.destroyDataKey(tenant.id);
      await shredBackups(config.backupDir, tenant.id, now);
      await control.transaction().execute(async (trx) => {
        const r = await trx
          .updateTable("tenants")
          .set({ status: "purged" })
          .where("id", "=", tenant.id)
          .where("status", "=", "purging")
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) throw new Error("the organisation is no longer being purged");
        await logSecurityEvent(trx, now, "org.purged", {}, SYSTEM, { tenant: tenant.id, slug: tenant.slug });
      });
      result.purged.push(tenant.id);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      services.log(`[purge] ${tenant.slug} (${tenant.id}) could not be purged: ${message}`);
      result.failed.push({ tenantId: tenant.id, error: message });
    }
  }
  // Every run, not only one that purged: a checkpoint a reader blocked last time is finished now.
  result.walShredded = await shredControlWal(control);
  if (!result.walShredded) services.log("[purge] the control DB's WAL could not be truncated (a reader held it); the next run retries");
  return result;
}

/** Export archives live under DATA_DIR/exports, named after their export id; temp files start with it. */
async function removeExportFiles(services: Services, tenantId: string) {
  const dir = join(services.config.dataDir, "exports");
  const rows = await services.control.selectFrom("org_exports").select(["id", "file_name"]).where("tenant_id", "=", tenantId).execute();
  if (!rows.length) return;
  const names = new Set(rows.flatMap((r) => (r.file_name ? [basename(r.file_name)] : [])));
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (names.has(entry) || rows.some((r) => entry.includes(r.id))) rmSync(join(dir, entry), { force: true, recursive: true });
  }
}
