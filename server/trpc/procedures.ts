import { forbidden, unauthorized } from "./errors";
import { middleware, t } from "./init";
import { tenantContext } from "./tenant-context";

const authed = middleware(({ ctx, next }) => {
  if (!ctx.viewer) throw unauthorized();
  return next({ ctx: { viewer: ctx.viewer } });
});

export const publicProcedure = t.procedure;
export const authedProcedure = t.procedure.use(authed);

/** authed → tenantContext → can(meta.permission), in that order, for every tenant procedure. */
export const tenantProcedure = authedProcedure.use(tenantContext).use(({ ctx, meta, next }) => {
  // Deny by default: a tenant procedure without a declared permission is refused, whoever calls it.
  const needed = meta?.permission;
  if (!needed) throw forbidden("This operation declares no permission, so nobody may call it.");
  if (!ctx.permissions.has(needed)) throw forbidden(`Your role does not allow this (needs ${needed}).`);
  return next();
});
