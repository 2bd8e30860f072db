import { z } from "zod";
import { createTenant } from "../tenants/create-tenant";
import { forbidden } from "../trpc/errors";
import { router } from "../trpc/init";
import { authedProcedure } from "../trpc/procedures";
import { slugSchema } from "../trpc/tenant-context";
import { nameSchema } from "./inputs";

/** Organisations as the control DB knows them: the switcher and creation. Tenant data is elsewhere. */
export const orgsRouter = router({
  mine: authedProcedure
    .meta({ access: "authed" })
    .query(({ ctx }) =>
      ctx.services.control
        .selectFrom("memberships")
        .innerJoin("tenants", "tenants.id", "memberships.tenant_id")
        .select(["tenants.slug", "tenants.name", "memberships.created_at as joined_at"])
        .where("memberships.user_id", "=", ctx.viewer.user.id)
        .where("tenants.status", "=", "active")
        .orderBy("tenants.name")
        .execute(),
    ),

  create: authedProcedure
    .meta({ access: "authed" })
    .input(z.object({ name: nameSchema, slug: slugSchema }))
    .mutation(async ({ ctx, input }) => {
      const { user } = ctx.viewer;
      if (!user.emailVerified) throw forbidden("Confirm your email address before creating an organisation.");
      // Operators stay outside every organisation; they enter only through a support grant.
      if (user.isStaff) throw forbidden("Platform staff accounts cannot own organisations. Use a personal account.");
      const tenant = await createTenant(ctx.services, { id: user.id, name: user.name, email: user.email }, input, ctx.info);
      return { slug: tenant.slug, name: tenant.name };
    }),
});
