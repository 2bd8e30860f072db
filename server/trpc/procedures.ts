import { TRPCError } from "@trpc/server";
import { STORAGE_FULL_MESSAGE, storageFullError } from "../storage/storage-full";
import { fileRuleRefusal, forbidden, unauthorized } from "./errors";
import { middleware, t } from "./init";
import { tenantContext } from "./tenant-context";

/**
 * Disk full is a state (server/storage/disk-state.ts): during an episode a write is refused up
 * front once the room kept for sessions is reached, and any failure that says storage is full
 * starts one. Every procedure passes here first, whichever door it came through.
 */
const storageGuard = middleware(async ({ ctx, type, meta, next }) => {
  // One shape for every door: the sentence as the message (what a server-side caller's TRPCError
  // carries into a Remix loader) and our refusal, holding the original error, as the cause.
  const refusal = (error: unknown) =>
    new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: STORAGE_FULL_MESSAGE, cause: storageFullError(error) });
  try {
    if (type === "mutation" && !meta?.sessionWrite) ctx.services.disk.assertRoomForWrite();
  } catch (error) {
    throw refusal(error);
  }
  const result = await next();
  if (!result.ok && ctx.services.disk.noteError(result.error)) throw refusal(result.error);
  if (!result.ok) {
    const refused = fileRuleRefusal(result.error.cause);
    if (refused) throw refused;
  }
  return result;
});
const baseProcedure = t.procedure.use(storageGuard);

/**
 * API tokens open organisation procedures only: sign-up, login, the account and the organisation
 * list are for browser sessions. A request with an Authorization header is refused here, live token
 * or not, before any input is read.
 */
const browserOnly = middleware(({ ctx, next }) => {
  if (ctx.bearer) throw forbidden("API tokens can call organisation procedures only; this one is for the web app.");
  return next();
});

const authed = middleware(({ ctx, next }) => {
  if (!ctx.viewer) throw unauthorized();
  return next({ ctx: { viewer: ctx.viewer } });
});

export const publicProcedure = baseProcedure.use(browserOnly);
export const authedProcedure = publicProcedure.use(authed);
/** Platform operators only; staff reach tenant data solely through a support grant, never through this. */
export const staffProcedure = authedProcedure.use(({ ctx, next }) => {
  if (!ctx.viewer.user.isStaff) throw forbidden("This is for platform staff only.");
  return next();
});

/**
 * tenantContext → can(meta.permission), in that order, for every tenant procedure. The door itself
 * authenticates (a session, a support session or an API token) and refuses anyone else with 401.
 */
export const tenantProcedure = baseProcedure.use(tenantContext).use(({ ctx, meta, next }) => {
  // Deny by default: a tenant procedure without a declared permission is refused, whoever calls it.
  const needed = meta?.permission;
  if (!needed) throw forbidden("This operation declares no permission, so nobody may call it.");
  if (!ctx.permissions.has(needed)) throw forbidden(`Your role does not allow this (needs ${needed}).`);
  return next();
});
