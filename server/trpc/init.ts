import { initTRPC } from "@trpc/server";
import { z, ZodError } from "zod";
import type { Permission } from "../permissions/catalogue";
import { isStorageFull, STORAGE_FULL_CODE, STORAGE_FULL_MESSAGE, STORAGE_FULL_STATUS } from "../storage/storage-full";
import type { Context } from "./context";

/**
 * Every procedure says who may call it. Tenant procedures name a permission; the rest say
 * `access`. A procedure with neither is refused at start-up (see assertEveryProcedureDeclaresAccess).
 */
export interface Meta {
  permission?: Permission;
  access?: "public" | "authed" | "staff";
  /**
   * A session write (login, logout) that must keep working while storage is full: the guard in
   * procedures.ts lets it use the room the released ballast kept for it.
   */
  sessionWrite?: true;
}

function describeZodError(error: ZodError) {
  return error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}

export const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    errorFormatter({ shape, error }) {
      // A full disk is the server's state, not the caller's fault nor an internal error to show.
      if (isStorageFull(error)) {
        return {
          ...shape,
          message: STORAGE_FULL_MESSAGE,
          data: { code: STORAGE_FULL_CODE, httpStatus: STORAGE_FULL_STATUS, path: shape.data.path, fieldErrors: null },
        };
      }
      const zod = error.cause instanceof ZodError ? error.cause : null;
      return {
        ...shape,
        // Readable sentence instead of zod's JSON dump; never a stack trace.
        message: zod ? `Invalid input: ${describeZodError(zod)}` : shape.message,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          fieldErrors: zod ? z.flattenError(zod).fieldErrors : null,
        },
      };
    },
  });

export const router = t.router;
export const middleware = t.middleware;
export const createCallerFactory = t.createCallerFactory;
