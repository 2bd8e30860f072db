import { tenantDb } from "../context";
import type { LabelRow } from "./schema";

export interface LabelFields {
  name: string;
  color: string;
}

export function listLabels(): Promise<LabelRow[]> {
  return tenantDb().selectFrom("labels").selectAll().orderBy("name").orderBy("id").execute();
}

export function findLabel(id: string) {
  return tenantDb().selectFrom("labels").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Which of these ids are labels of this organisation. */
export async function existingLabelIds(ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await tenantDb().selectFrom("labels").select("id").where("id", "in", ids).execute();
  return new Set(rows.map((r) => r.id));
}

export async function insertLabel(id: string, f: LabelFields, now: number): Promise<void> {
  await tenantDb()
    .insertInto("labels")
    .values({ id, ...f, created_at: now, updated_at: now })
    .execute();
}

export async function updateLabel(id: string, f: Partial<LabelFields>, now: number): Promise<void> {
  await tenantDb()
    .updateTable("labels")
    .set({ ...f, updated_at: now })
    .where("id", "=", id)
    .execute();
}

/** Task links go with it (ON DELETE CASCADE). */
export async function deleteLabel(id: string): Promise<void> {
  await tenantDb().deleteFrom("labels").where("id", "=", id).execute();
}
