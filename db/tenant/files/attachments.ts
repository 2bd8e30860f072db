import type { Kysely, Selectable } from "kysely";
import { tenantDb } from "../context";
import type { TenantDB } from "../schema";

export type AttachmentTargetType = "task" | "project" | "invoice";

export interface AttachmentsTable {
  id: string;
  target_type: AttachmentTargetType;
  target_id: string;
  /** The project the file is seen through (null for an invoice's files). */
  project_id: string | null;
  name: string;
  /** Sniffed from the first bytes at upload; always one of server/files/sniff.ts's allowed types. */
  content_type: string;
  size: number;
  /** Random file name under DATA_DIR/blobs/<tenant id>/; never derived from user input. */
  blob_name: string;
  uploaded_by: string | null;
  created_at: number;
}

export type AttachmentRow = Selectable<AttachmentsTable>;

/** The tenant handle seen with the attachments table (migration 0010). */
const db = () => tenantDb() as unknown as Kysely<TenantDB & { attachments: AttachmentsTable }>;

export function findAttachment(id: string) {
  return db().selectFrom("attachments").selectAll().where("id", "=", id).executeTakeFirst();
}

export function listAttachments(targetType: AttachmentTargetType, targetId: string) {
  return db()
    .selectFrom("attachments")
    .selectAll()
    .where("target_type", "=", targetType)
    .where("target_id", "=", targetId)
    .orderBy("created_at", "desc")
    .orderBy("id")
    .execute();
}

/** Bytes stored by the whole organisation (plaintext sizes), for the quota. */
export async function usedBytes(): Promise<number> {
  const row = await db()
    .selectFrom("attachments")
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("size"), eb.lit(0)).as("total"))
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}

export async function insertAttachment(row: AttachmentRow) {
  await db().insertInto("attachments").values(row).execute();
}

export async function deleteAttachment(id: string) {
  await db().deleteFrom("attachments").where("id", "=", id).execute();
}

/** Deletes every attachment of one target (its parent is being deleted); returns the rows, whose blobs are removed after commit. */
export async function deleteAttachmentsOf(targetType: AttachmentTargetType, targetId: string): Promise<AttachmentRow[]> {
  const rows = await listAttachments(targetType, targetId);
  if (rows.length) await db().deleteFrom("attachments").where("target_type", "=", targetType).where("target_id", "=", targetId).execute();
  return rows;
}
