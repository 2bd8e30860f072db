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

/** Attachments whose task, project or invoice no longer exists (rows from before migration 0012's triggers). */
export function attachmentsWithoutTarget() {
  return db()
    .selectFrom("attachments as a")
    .select(["a.id", "a.blob_name", "a.size"])
    .where((eb) =>
      eb.not(
        eb.or([
          eb.and([
            eb("a.target_type", "=", "task"),
            eb.exists(eb.selectFrom("tasks").select("id").whereRef("tasks.id", "=", "a.target_id")),
          ]),
          eb.and([
            eb("a.target_type", "=", "project"),
            eb.exists(eb.selectFrom("projects").select("id").whereRef("projects.id", "=", "a.target_id")),
          ]),
          eb.and([
            eb("a.target_type", "=", "invoice"),
            eb.exists(eb.selectFrom("invoices").select("id").whereRef("invoices.id", "=", "a.target_id")),
          ]),
        ]),
      ),
    )
    .execute();
}

/** Which of `blobNames` a row still refers to. */
export async function referencedBlobs(blobNames: readonly string[]): Promise<Set<string>> {
  if (blobNames.length === 0) return new Set();
  const rows = await db().selectFrom("attachments").select("blob_name").where("blob_name", "in", blobNames).execute();
  return new Set(rows.map((r) => r.blob_name));
}

export function allAttachmentBlobs() {
  return db().selectFrom("attachments").select(["id", "blob_name", "size"]).execute();
}

/** Deletes the rows by id; returns those that were still there. */
export async function deleteAttachmentsById(ids: readonly string[]): Promise<AttachmentRow[]> {
  if (ids.length === 0) return [];
  const rows = await db().selectFrom("attachments").selectAll().where("id", "in", ids).execute();
  if (rows.length) await db().deleteFrom("attachments").where("id", "in", ids).execute();
  return rows;
}
