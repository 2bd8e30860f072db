import { forbidden, unauthorized } from "./errors";
import { middleware, t } from "./init";
import { tenantContext } from "./tenant-context";

const authed = middleware(({ ctx, next }) => {
  if (!ctx.viewer) throw unauthorized();
  return next({ ctx: { viewer: ctx.viewer } });
});

export const publicProcedure = t.procedure;
export const authedProcedure = t.procedure.use(authed);
/** Platform operators only; staff reach tenant data solely through a support grant, never through this. */
export const staffProcedure = authedProcedure.use(({ ctx, next }) => {
  if (!ctx.viewer.user.isStaff) throw forbidden("This is for platform staff only.");
  return next();
});

/** authed → tenantContext → can(meta.permission), in that order, for every tenant procedure. */
export const tenantProcedure = authedProcedure.use(tenantContext).use(({ ctx, meta, next }) => {
  // Deny by default: a tenant procedure without a declared permission is refused, whoever calls it.
  const needed = meta?.permission;
  if (!needed) throw forbidden("This operation declares no permission, so nobody may call it.");
  if (!ctx.permissions.has(needed)) throw forbidden(`Your role does not allow this (needs ${needed}).`);
  return next();
});
