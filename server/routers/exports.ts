import { TRPCError } from "@trpc/server";
import { inTenantTransaction } from "../../db/tenant/context";
import type { OrgExportRow } from "../../db/control/schema";
import { audit } from "../audit/audit";
import { ExportBusyError, exportFilePath, scheduleExport, startExport } from "../export/jobs";
import { ExportGoneError, exportIo } from "../export/io";
import { conflict, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { idSchema, orgInput } from "./inputs";

/**
 * Organisation data exports (org.export): start one, follow its progress, download it. The ZIP is
 * written in the background (server/export/jobs.ts) and downloaded from GET /api/exports/<id>
 * (server/http/exports.ts), which reaches exports.download through the same tenant door.
 */
const exportId = idSchema("x");
const LIST_LIMIT = 20;

export const EXPORT_DOWNLOAD_PATH = "/api/exports";

function exportView(row: OrgExportRow, now: number) {
  const expired = row.status === "expired" || (row.status === "done" && row.expires_at !== null && row.expires_at <= now);
  return {
    id: row.id,
    status: expired ? ("expired" as const) : row.status,
    done: row.done,
    total: row.total,
    bytes: row.bytes,
    sha256: row.sha256,
    error: row.error,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    expiresAt: row.expires_at,
    downloadPath: row.status === "done" && !expired ? `${EXPORT_DOWNLOAD_PATH}/${row.id}` : null,
  };
}

export type ExportView = ReturnType<typeof exportView>;

export const exportsRouter = router({
  /** Queues an export of the whole organisation; poll exports.list for its progress. */
  start: tenantProcedure
    .meta({ permission: "org.export" })
    .input(orgInput)
    .mutation(async ({ ctx }) => {
      // The archive is written under DATA_DIR: a large write, refused up front under the watermark.
      ctx.services.disk.assertRoomForLargeWrite();
      let row: OrgExportRow;
      try {
        row = await startExport(ctx.services, ctx.tenant.id, ctx.viewer.user.id);
      } catch (error) {
        if (error instanceof ExportBusyError) throw conflict(error.message);
        throw error;
      }
      try {
        await inTenantTransaction(() => audit(ctx.actor, "org.export_start", { type: "export", id: row.id }));
      } catch (error) {
        // No export may run without its audit row.
        await ctx.services.control.deleteFrom("org_exports").where("id", "=", row.id).execute();
        throw error;
      }
      scheduleExport(ctx.services, row.id);
      return exportView(row, ctx.services.clock.now());
    }),

  /** This organisation's most recent exports, newest first. */
  list: tenantProcedure
    .meta({ permission: "org.export" })
    .input(orgInput)
    .query(async ({ ctx }) => {
      const rows = await ctx.services.control
        .selectFrom("org_exports")
        .selectAll()
        .where("tenant_id", "=", ctx.tenant.id)
        .orderBy("created_at", "desc")
        .orderBy("id")
        .limit(LIST_LIMIT)
        .execute();
      const now = ctx.services.clock.now();
      return rows.map((r) => exportView(r, now));
    }),

  /**
   * One finished export. Over /api/trpc: its metadata. Through GET /api/exports/<id>: also audits
   * the download and hands the file to the route. An expired link answers NOT_FOUND here and 410
   * Gone on the route.
   */
  download: tenantProcedure
    .meta({ permission: "org.export" })
    .input(orgInput.extend({ id: exportId }))
    .query(async ({ ctx, input }) => {
      const row = await ctx.services.control
        .selectFrom("org_exports")
        .selectAll()
        .where("id", "=", input.id)
        .where("tenant_id", "=", ctx.tenant.id)
        .executeTakeFirst();
      if (!row) throw notFound("Export");
      const view = exportView(row, ctx.services.clock.now());
      if (view.status === "expired") {
        throw new TRPCError({
          code: "NOT_FOUND",
          message: "This export's download link has expired; start a new export.",
          cause: new ExportGoneError("expired"),
        });
      }
      if (row.status !== "done")
        throw conflict(row.status === "failed" ? "This export failed; start a new one." : "This export is not finished yet.");
      const io = exportIo(ctx);
      if (io) {
        await inTenantTransaction(() =>
          audit(ctx.actor, "org.export_download", { type: "export", id: row.id }, { bytes: row.bytes, sha256: row.sha256 }),
        );
        io.download = {
          path: exportFilePath(ctx.services.config.dataDir, row.id),
          fileName: `${ctx.tenant.slug}-export-${new Date(row.created_at).toISOString().slice(0, 10)}.zip`,
          bytes: row.bytes ?? 0,
        };
      }
      return view;
    }),
});
