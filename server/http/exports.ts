import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { EXPORT_IO, ExportGoneError, type ExportIo } from "../export/io";
import { EXPORT_ID } from "../export/jobs";
import { createCaller } from "../routers/_app";
import { EXPORT_DOWNLOAD_PATH } from "../routers/exports";
import type { Services } from "../services";
import { createContext } from "../trpc/context";
import { contentDisposition } from "./files";
import { requestFacts } from "./request-facts";
import { answeredStorageFull } from "./storage-full";

export const EXPORTS_PATH = EXPORT_DOWNLOAD_PATH;

/**
 * GET /api/exports/<export id>: streams a finished organisation export (a ZIP).
 *
 * Browser sessions only (the link is what the export page shows; API tokens get no bulk download).
 * The export's organisation is looked up from the id, then the request goes through the same tenant
 * door and permission check as every procedure, by calling exports.download through the
 * server-side caller: membership now, the member's current role holding org.export now, the export
 * belonging to that organisation, finished and not expired (410 Gone after). Every "not yours" and
 * "no such export" answer is the same 404, so ids cannot be probed.
 */
export function createExportsHandler(services: Services) {
  return async function handleExports(req: IncomingMessage, res: ServerResponse) {
    try {
      const url = new URL(req.url ?? "/", "http://x");
      const m = /^\/api\/exports\/([^/]{1,64})$/.exec(url.pathname);
      if (!m || !EXPORT_ID.test(m[1]!)) return answer(res, 404, "Export not found.", "NOT_FOUND");
      if (req.method !== "GET") return answer(res, 405, "Use GET.", "METHOD_NOT_SUPPORTED");
      if (req.headers.authorization !== undefined)
        return answer(res, 403, "Exports are downloaded from the web app; API tokens cannot download them.", "FORBIDDEN");
      const ctx = await createContext(services, requestFacts(req, res, services.config));
      if (!ctx.viewer) return answer(res, 401, "Please log in.", "UNAUTHORIZED");
      const id = m[1]!;
      const owner = await services.control
        .selectFrom("org_exports")
        .innerJoin("tenants", "tenants.id", "org_exports.tenant_id")
        .select("tenants.slug")
        .where("org_exports.id", "=", id)
        .executeTakeFirst();
      if (!owner) return answer(res, 404, "Export not found.", "NOT_FOUND");
      const io: ExportIo = {};
      const api = createCaller(Object.assign(ctx, { [EXPORT_IO]: io }));
      await api.exports.download({ org: owner.slug, id });
      const d = io.download;
      if (!d) throw new Error("exports.download did not hand over the file");
      const stream = createReadStream(d.path);
      try {
        await new Promise<void>((resolve, reject) => stream.once("open", () => resolve()).once("error", reject));
      } catch (error) {
        stream.destroy();
        // Removed by the expiry job between the check and the open: the link is gone.
        if ((error as NodeJS.ErrnoException).code === "ENOENT")
          return answer(res, 410, "This export is no longer available; start a new export.", "GONE");
        throw error;
      }
      res.writeHead(200, {
        "content-type": "application/zip",
        "content-length": String(d.bytes),
        "content-disposition": contentDisposition(d.fileName),
        "x-content-type-options": "nosniff",
        "cache-control": "private, no-store",
      });
      try {
        await pipeline(stream, res);
      } catch (error) {
        res.destroy();
        services.log(`[exports] download of ${id} aborted: ${(error as Error).message}`);
      }
    } catch (error) {
      return failure(req, res, services, error);
    }
  };
}

function answer(res: ServerResponse, status: number, message: string, code: string) {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify({ error: { message, code } }));
}

function failure(req: IncomingMessage, res: ServerResponse, services: Services, error: unknown) {
  if (answeredStorageFull(req, res, services, "exports", error)) return;
  if (error instanceof TRPCError) {
    if (error.cause instanceof ExportGoneError) return answer(res, 410, error.message, "GONE");
    const status = getHTTPStatusCodeFromError(error);
    // "No such organisation" and "no such export" read the same.
    if (status === 404) return answer(res, 404, "Export not found.", "NOT_FOUND");
    if (status < 500) return answer(res, status, error.message, error.code);
  }
  services.log(`[exports] ${req.method} ${req.url?.split("?")[0]}: ${(error as Error)?.stack ?? String(error)}`);
  return answer(res, 500, "Internal server error.", "INTERNAL_SERVER_ERROR");
}
