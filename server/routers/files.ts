import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { inTenantTransaction } from "../../db/tenant/context";
import {
  deleteAttachment,
  findAttachment,
  insertAttachment,
  listAttachments,
  usedBytes,
  type AttachmentRow,
  type AttachmentTargetType,
} from "../../db/tenant/files/attachments";
import { findInvoice } from "../../db/tenant/invoices/invoices";
import { findProject } from "../../db/tenant/projects";
import { audit } from "../audit/audit";
import { newId } from "../auth/tokens";
import { removeAttachmentBlobs } from "../files/cleanup";
import { fileIo } from "../files/io";
import { newBlobName, UploadLimitError, UploadTypeError, writeEncryptedBlob } from "../files/storage";
import type { Permission } from "../permissions/catalogue";
import { badRequest, forbidden, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { idSchema, orgInput } from "./inputs";
import { requireTask } from "./task-rules";

const targetType = z.enum(["task", "project", "invoice"]);
/** A task (k…), project (p…) or invoice (i…) id; the prefix must match targetType. */
const targetId = z.string().regex(/^[kpi][a-z2-7]{24}$/, "Not a valid id.");
const attachmentId = idSchema("f");
const fileName = z
  .string()
  .trim()
  .min(1, "Required.")
  .max(255, "Use at most 255 characters.")
  // eslint-disable-next-line no-control-regex -- refusing control characters in a file name is the point
  .regex(/^[^\u0000-\u001f\u007f/\\]+$/u, "File names cannot contain slashes or control characters.");

const PREFIX: Record<AttachmentTargetType, string> = { task: "k", project: "p", invoice: "i" };
const LABEL: Record<AttachmentTargetType, string> = { task: "Task", project: "Project", invoice: "Invoice" };

/**
 * The thing a file hangs on, if the caller may see it: a task or project only when its project is
 * visible, an invoice only with invoice.read and when its client is visible. Hidden answers like
 * missing (NOT_FOUND).
 */
async function requireTarget(permissions: ReadonlySet<Permission>, type: AttachmentTargetType, id: string) {
  if (!id.startsWith(PREFIX[type])) throw notFound(LABEL[type]);
  if (type === "task") {
    const task = await requireTask(id);
    return { projectId: task.projectId, detail: { project_id: task.projectId, task_id: task.id } };
  }
  if (type === "project") {
    const project = await findProject(id);
    if (!project) throw notFound("Project");
    return { projectId: project.id, detail: { project_id: project.id } };
  }
  if (!permissions.has("invoice.read")) throw forbidden("Your role does not allow this (needs invoice.read).");
  const invoice = await findInvoice(id);
  if (!invoice) throw notFound("Invoice");
  return { projectId: null, detail: { invoice_id: invoice.id } };
}

/** An attachment whose target the caller may see, or NOT_FOUND. */
async function requireAttachment(permissions: ReadonlySet<Permission>, id: string) {
  const row = await findAttachment(id);
  if (!row) throw notFound("File");
  const target = await requireTarget(permissions, row.target_type, row.target_id).catch((error: unknown) => {
    throw error instanceof TRPCError && error.code === "NOT_FOUND" ? notFound("File") : error;
  });
  return { row, target };
}

function fileView(row: AttachmentRow, org: string) {
  return {
    id: row.id,
    targetType: row.target_type,
    targetId: row.target_id,
    name: row.name,
    contentType: row.content_type,
    size: row.size,
    uploadedBy: row.uploaded_by,
    createdAt: row.created_at,
    downloadUrl: `/api/files/${row.id}?org=${encodeURIComponent(org)}`,
  };
}

const targetGone = (type: AttachmentTargetType) =>
  new TRPCError({
    code: "NOT_FOUND",
    message: `The ${type} was deleted while the file was uploading, so the file was not saved.`,
  });
const tooLarge = (message: string) => new TRPCError({ code: "PAYLOAD_TOO_LARGE", message });
const mib = (n: number) => `${Math.floor(n / (1024 * 1024))} MB`;

export const filesRouter = router({
  list: tenantProcedure
    .meta({ permission: "file.read" })
    .input(orgInput.extend({ targetType, targetId }))
    .query(async ({ ctx, input }) => {
      await requireTarget(ctx.permissions, input.targetType, input.targetId);
      const rows = await listAttachments(input.targetType, input.targetId);
      return rows.map((r) => fileView(r, ctx.tenant.slug));
    }),

  /** Metadata of one file. From the download route it also hands over what is needed to stream it. */
  get: tenantProcedure
    .meta({ permission: "file.read" })
    .input(orgInput.extend({ id: attachmentId }))
    .query(async ({ ctx, input }) => {
      const { row } = await requireAttachment(ctx.permissions, input.id);
      const io = fileIo(ctx);
      if (io) io.download = { tenantId: ctx.tenant.id, key: await ctx.services.keys.dataKeyFor(ctx.tenant.id), row };
      return fileView(row, ctx.tenant.slug);
    }),

  /**
   * Stores the request body as an attachment. Only POST /api/files/upload carries a body stream;
   * over /api/trpc this answers BAD_REQUEST after the access checks.
   */
  upload: tenantProcedure
    .meta({ permission: "file.upload" })
    .input(orgInput.extend({ targetType, targetId, name: fileName }))
    .mutation(async ({ ctx, input }) => {
      const target = await requireTarget(ctx.permissions, input.targetType, input.targetId);
      const upload = fileIo(ctx)?.upload;
      if (!upload) throw badRequest("Send the file's bytes to POST /api/files/upload.");
      // A large write: refused before a byte is read while DATA_DIR's disk is under its watermark.
      ctx.services.disk.assertRoomForLargeWrite();
      const { fileMaxBytes, orgQuotaBytes, dataDir } = ctx.services.config;
      const remaining = orgQuotaBytes - (await usedBytes());
      const quotaFull = () => tooLarge(`This organisation's storage quota (${mib(orgQuotaBytes)}) would be exceeded.`);
      const overSize = () => tooLarge(`Files can be at most ${mib(fileMaxBytes)}.`);
      if (upload.declaredLength !== null && upload.declaredLength > fileMaxBytes) throw overSize();
      if (remaining <= 0 || (upload.declaredLength !== null && upload.declaredLength > remaining)) throw quotaFull();

      const id = newId("f");
      const blobName = newBlobName();
      const tenantId = ctx.tenant.id;
      let stored: { size: number; contentType: string };
      try {
        stored = await writeEncryptedBlob({
          source: upload.stream,
          dataDir,
          tenantId,
          blobName,
          key: await ctx.services.keys.dataKeyFor(tenantId),
          aad: { org: tenantId, row: id },
          name: input.name,
          limit: Math.min(fileMaxBytes, remaining),
          limitReason: fileMaxBytes <= remaining ? "size" : "quota",
        });
      } catch (error) {
        if (error instanceof UploadLimitError) throw error.reason === "size" ? overSize() : quotaFull();
        if (error instanceof UploadTypeError) throw new TRPCError({ code: "UNSUPPORTED_MEDIA_TYPE", message: error.message });
        throw error;
      }
      const row: AttachmentRow = {
        id,
        target_type: input.targetType,
        target_id: input.targetId,
        project_id: target.projectId,
        name: input.name,
        content_type: stored.contentType,
        size: stored.size,
        blob_name: blobName,
        uploaded_by: ctx.actor.id,
        created_at: Date.now(),
      };
      try {
        await inTenantTransaction(async () => {
          // Checked again in the write transaction: the target may have been deleted while the bytes
          // streamed in (migration 0012's trigger refuses such a row too), and concurrent uploads
          // cannot overshoot the quota together.
          await requireTarget(ctx.permissions, input.targetType, input.targetId).catch((error: unknown) => {
            throw error instanceof TRPCError && error.code === "NOT_FOUND" ? targetGone(input.targetType) : error;
          });
          if ((await usedBytes()) + stored.size > orgQuotaBytes) throw quotaFull();
          await insertAttachment(row);
          await audit(
            ctx.actor,
            "file.upload",
            { type: "file", id },
            { ...target.detail, name: row.name, size: row.size, content_type: row.content_type },
          );
        });
      } catch (error) {
        await removeAttachmentBlobs(ctx.services, tenantId, [{ id, blob_name: blobName }]);
        throw error;
      }
      return fileView(row, ctx.tenant.slug);
    }),

  /** Deletes the record, then its blob. */
  delete: tenantProcedure
    .meta({ permission: "file.delete" })
    .input(orgInput.extend({ id: attachmentId }))
    .mutation(async ({ ctx, input }) => {
      const row = await inTenantTransaction(async () => {
        const { row, target } = await requireAttachment(ctx.permissions, input.id);
        await deleteAttachment(row.id);
        await audit(ctx.actor, "file.delete", { type: "file", id: row.id }, { ...target.detail, name: row.name, size: row.size });
        return row;
      });
      await removeAttachmentBlobs(ctx.services, ctx.tenant.id, [row]);
      return { id: row.id };
    }),
});
