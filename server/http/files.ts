import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { ZodError } from "zod";
import { createCaller } from "../routers/_app";
import { FILE_IO, type FileIo } from "../files/io";
import { ALLOWED_TYPES } from "../files/sniff";
import { openBlob } from "../files/storage";
import type { Services } from "../services";
import { createContext } from "../trpc/context";
import { requestFacts } from "./request-facts";
import { answeredStorageFull } from "./storage-full";

export const FILES_PATH = "/api/files";

/**
 * Streaming file routes beside /api/trpc (tRPC's JSON transport cannot stream a 100 MB body):
 *
 *   POST /api/files/upload?org=<slug>&target=task|project|invoice&id=<target id>&name=<file name>
 *        body = the file's raw bytes (any Content-Type; the type is sniffed from the content)
 *   GET  /api/files/<file id>?org=<slug>
 *
 * They authenticate with the same context factory and reach the organisation through the same tenant
 * door as every procedure: each calls one files procedure (files.upload / files.get) through the
 * server-side caller, with the byte stream handed over in the context (server/files/io.ts). The
 * Origin check (csrf.ts) runs before, in server.ts.
 */
export function createFilesHandler(services: Services) {
  const caller = async (req: IncomingMessage, res: ServerResponse, io: FileIo) => {
    const ctx = await createContext(services, { ...requestFacts(req, res, services.config), authorization: req.headers.authorization });
    return createCaller(Object.assign(ctx, { [FILE_IO]: io }));
  };

  return async function handleFiles(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://x");
    const q = (k: string) => url.searchParams.get(k) ?? undefined;
    try {
      if (url.pathname === `${FILES_PATH}/upload`) {
        if (req.method !== "POST") return answer(res, 405, { error: { message: "Use POST.", code: "METHOD_NOT_SUPPORTED" } });
        const length = req.headers["content-length"];
        const io: FileIo = {
          upload: { stream: req, declaredLength: length !== undefined && /^\d+$/.test(length) ? Number(length) : null },
        };
        const api = await caller(req, res, io);
        const file = await api.files.upload({
          org: q("org") as string,
          targetType: q("target") as "task",
          targetId: q("id") as string,
          name: q("name") as string,
        });
        return answer(res, 201, { file });
      }
      const m = /^\/api\/files\/([a-z0-9]{1,40})$/.exec(url.pathname);
      if (!m) return answer(res, 404, { error: { message: "Not found.", code: "NOT_FOUND" } });
      if (req.method !== "GET") return answer(res, 405, { error: { message: "Use GET.", code: "METHOD_NOT_SUPPORTED" } });
      const io: FileIo = {};
      const api = await caller(req, res, io);
      await api.files.get({ org: q("org") as string, id: m[1]! });
      return await download(res, services, io);
    } catch (error) {
      return failure(req, res, services, error);
    } finally {
      // Whatever of an upload's body was not read (refused early or over a limit) is drained, so the
      // client gets the answer instead of a stalled connection.
      if (!req.complete) req.resume();
    }
  };
}

function answer(res: ServerResponse, status: number, body: unknown) {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

function failure(req: IncomingMessage, res: ServerResponse, services: Services, error: unknown) {
  // The client hung up mid-body: nobody to answer and nothing broken here, so one line rather than
  // a stack per request (a loop of cut uploads would otherwise fill the log at will).
  const cause = (error instanceof TRPCError ? error.cause : error) as NodeJS.ErrnoException | undefined;
  // Also when the body was complete: more bytes than Content-Length said make Node answer 400 and cut it.
  if (req.destroyed && (!req.complete || cause?.code === "ECONNRESET")) {
    services.log(`[files] ${req.method} ${req.url?.split("?")[0]}: the client closed the connection before the body ended`);
    return void res.destroy();
  }
  if (answeredStorageFull(req, res, services, "files", error)) return;
  if (!req.complete) res.setHeader("Connection", "close");
  if (error instanceof TRPCError) {
    const zod = error.cause instanceof ZodError ? error.cause : null;
    const message = zod
      ? `Invalid input: ${zod.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ")}`
      : error.message;
    const status = getHTTPStatusCodeFromError(error);
    if (status >= 500) services.log(`[files] ${req.method} ${req.url?.split("?")[0]}: ${error.stack ?? error.message}`);
    return answer(res, status, { error: { message: status >= 500 ? "Internal server error." : message, code: error.code } });
  }
  services.log(`[files] ${req.method} ${req.url?.split("?")[0]}: ${(error as Error)?.stack ?? String(error)}`);
  return answer(res, 500, { error: { message: "Internal server error.", code: "INTERNAL_SERVER_ERROR" } });
}

/** `attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded` (RFC 6266 / 5987). */
export function contentDisposition(name: string) {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%;]/g, "_").trim() || "download";
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

async function download(res: ServerResponse, services: Services, io: FileIo) {
  const d = io.download;
  if (!d) throw new Error("files.get did not hand over the download");
  const { row } = d;
  const { stream, chunks } = openBlob(services.config.dataDir, d.tenantId, row.blob_name, d.key, { org: d.tenantId, row: row.id });
  // The first chunk is opened before any header goes out: a missing or damaged small file is a
  // clean error. A later bad chunk aborts the connection, so a truncated body never looks complete.
  let first: IteratorResult<Buffer>;
  try {
    first = await chunks.next();
  } catch (error) {
    stream.destroy();
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return answer(res, 404, { error: { message: "File not found.", code: "NOT_FOUND" } });
    services.log(`[files] cannot open ${row.id} of ${d.tenantId}: ${(error as Error).message}`);
    return answer(res, 500, { error: { message: "The stored file is damaged and cannot be served.", code: "INTERNAL_SERVER_ERROR" } });
  }
  const type = ALLOWED_TYPES.has(row.content_type) ? row.content_type : "application/octet-stream";
  res.writeHead(200, {
    "content-type": type.startsWith("text/") ? `${type}; charset=utf-8` : type,
    "content-length": String(row.size),
    "content-disposition": contentDisposition(row.name),
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; sandbox",
    "cache-control": "private, no-store",
  });
  async function* body() {
    if (!first.done) yield first.value;
    yield* chunks;
  }
  try {
    await pipeline(Readable.from(body()), res);
  } catch (error) {
    stream.destroy();
    res.destroy();
    if (!res.writableEnded) services.log(`[files] download of ${row.id} of ${d.tenantId} aborted: ${(error as Error).message}`);
  }
}
