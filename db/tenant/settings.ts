import { tenantDb } from "./context";

export interface OrgSettings {
  timeZone: string;
  currency: string;
  weekStart: number;
  /** Audit rows older than this many days are deleted by the retention job. */
  auditRetentionDays: number;
  /** Local hour (0–23, in timeZone) from which the day's digests go out. */
  digestHour: number;
}

/** The organisation's settings row (created by its migration, so it always exists). */
export async function getOrgSettings(): Promise<OrgSettings> {
  const row = await tenantDb().selectFrom("org_settings").selectAll().where("id", "=", 1).executeTakeFirstOrThrow();
  return {
    timeZone: row.time_zone,
    currency: row.currency,
    weekStart: row.week_start,
    auditRetentionDays: row.audit_retention_days,
    digestHour: row.digest_hour,
  };
}

export async function updateOrgSettings(changes: Partial<OrgSettings>, now: number) {
  await tenantDb()
    .updateTable("org_settings")
    .set({
      ...(changes.timeZone !== undefined && { time_zone: changes.timeZone }),
      ...(changes.currency !== undefined && { currency: changes.currency }),
      ...(changes.weekStart !== undefined && { week_start: changes.weekStart }),
      ...(changes.auditRetentionDays !== undefined && { audit_retention_days: changes.auditRetentionDays }),
      ...(changes.digestHour !== undefined && { digest_hour: changes.digestHour }),
      updated_at: now,
    })
    .where("id", "=", 1)
    .execute();
}

/** A member's own digest choice, and the local date of the last one sent (null: never). */
export async function getDigestChoice(userId: string) {
  return tenantDb().selectFrom("members").select(["digest_opt_in", "digest_sent_on"]).where("user_id", "=", userId).executeTakeFirst();
}

/** Returns whether anything changed, so only a real change is audited. */
export async function setDigestChoice(userId: string, optIn: boolean): Promise<boolean> {
  const result = await tenantDb()
    .updateTable("members")
    .set({ digest_opt_in: optIn ? 1 : 0 })
    .where("user_id", "=", userId)
    .where("digest_opt_in", "!=", optIn ? 1 : 0)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
