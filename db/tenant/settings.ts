import { tenantDb } from "./context";

export interface OrgSettings {
  timeZone: string;
  currency: string;
  weekStart: number;
}

/** The organisation's settings row (created by its migration, so it always exists). */
export async function getOrgSettings(): Promise<OrgSettings> {
  const row = await tenantDb().selectFrom("org_settings").selectAll().where("id", "=", 1).executeTakeFirstOrThrow();
  return { timeZone: row.time_zone, currency: row.currency, weekStart: row.week_start };
}

export async function updateOrgSettings(changes: Partial<OrgSettings>, now: number) {
  await tenantDb()
    .updateTable("org_settings")
    .set({
      ...(changes.timeZone !== undefined && { time_zone: changes.timeZone }),
      ...(changes.currency !== undefined && { currency: changes.currency }),
      ...(changes.weekStart !== undefined && { week_start: changes.weekStart }),
      updated_at: now,
    })
    .where("id", "=", 1)
    .execute();
}
