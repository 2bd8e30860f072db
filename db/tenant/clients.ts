import { sql } from "kysely";
import { tenantDb } from "./context";
import type { ClientRow } from "./schema";
import { clientVisible } from "./visibility";

export interface ClientFields {
  name: string;
  contactEmail: string | null;
  notes: string;
}

export function listClients(opts: { includeArchived: boolean; search?: string }) {
  let q = tenantDb().selectFrom("clients").selectAll().where(clientVisible("id")).orderBy("name");
  if (!opts.includeArchived) q = q.where("archived_at", "is", null);
  // instr, not LIKE: the search text is matched literally, % and _ included.
  if (opts.search) q = q.where(sql<number>`instr(lower(name), lower(${opts.search}))`, ">", 0);
  return q.execute();
}

export function findClient(id: string): Promise<ClientRow | undefined> {
  return tenantDb().selectFrom("clients").selectAll().where("id", "=", id).where(clientVisible("id")).executeTakeFirst();
}

export async function insertClient(id: string, fields: ClientFields, now: number): Promise<ClientRow> {
  const row: ClientRow = {
    id,
    name: fields.name,
    contact_email: fields.contactEmail,
    notes: fields.notes,
    archived_at: null,
    created_at: now,
    updated_at: now,
  };
  await tenantDb().insertInto("clients").values(row).execute();
  return row;
}

export async function updateClient(id: string, fields: Partial<ClientFields>, now: number) {
  await tenantDb()
    .updateTable("clients")
    .set({
      ...(fields.name !== undefined && { name: fields.name }),
      ...(fields.contactEmail !== undefined && { contact_email: fields.contactEmail }),
      ...(fields.notes !== undefined && { notes: fields.notes }),
      updated_at: now,
    })
    .where("id", "=", id)
    .execute();
}

export async function setClientArchived(id: string, archivedAt: number | null, now: number) {
  await tenantDb().updateTable("clients").set({ archived_at: archivedAt, updated_at: now }).where("id", "=", id).execute();
}
