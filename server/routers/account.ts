import { z } from "zod";
import { logSecurityEvent } from "../audit/security-log";
import { checkedPasswordHash } from "../auth/accounts";
import { verifyPassword } from "../auth/password";
import { sha256Hex } from "../auth/tokens";
import { badRequest, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { authedProcedure } from "../trpc/procedures";
import { passwordSchema } from "./auth-inputs";

export const accountRouter = router({
  sessions: authedProcedure.meta({ access: "authed" }).query(async ({ ctx }) => {
    const current = sha256Hex(ctx.viewer.session.id);
    const rows = await ctx.services.control
      .selectFrom("sessions")
      .select(["id", "created_at", "last_seen_at", "expires_at", "ip", "user_agent"])
      .where("user_id", "=", ctx.viewer.user.id)
      .where("expires_at", ">", ctx.services.clock.now())
      .orderBy("last_seen_at", "desc")
      .execute();
    // The stored hash doubles as the handle for revoking: it cannot be turned back into a cookie.
    return rows.map((r) => ({ ...r, current: r.id === current }));
  }),

  revokeSession: authedProcedure
    .meta({ access: "authed" })
    .input(z.object({ id: z.string().regex(/^[0-9a-f]{64}$/, "Not a session id.") }))
    .mutation(async ({ ctx, input }) => {
      const { control, clock } = ctx.services;
      const result = await control
        .deleteFrom("sessions")
        .where("id", "=", input.id)
        .where("user_id", "=", ctx.viewer.user.id)
        .executeTakeFirst();
      if (result.numDeletedRows === 0n) throw notFound("Session");
      await logSecurityEvent(control, clock.now(), "session.revoked", { userId: ctx.viewer.user.id }, ctx.info, { session: input.id.slice(0, 8) });
      return { ok: true };
    }),

  /** Ends every other session: the usual reaction to a lost device or a shared password. */
  changePassword: authedProcedure
    .meta({ access: "authed" })
    .input(z.object({ currentPassword: passwordSchema, newPassword: passwordSchema }))
    .mutation(async ({ ctx, input }) => {
      const { control, clock } = ctx.services;
      const { user, session } = ctx.viewer;
      const row = await control.selectFrom("users").select("password_hash").where("id", "=", user.id).executeTakeFirstOrThrow();
      if (!(await verifyPassword(row.password_hash, input.currentPassword))) {
        throw badRequest("Your current password is not correct.");
      }
      const passwordHash = await checkedPasswordHash(input.newPassword, user.email, user.name);
      const now = clock.now();
      await control.transaction().execute(async (trx) => {
        await trx.updateTable("users").set({ password_hash: passwordHash, updated_at: now }).where("id", "=", user.id).execute();
        await trx
          .deleteFrom("sessions")
          .where("user_id", "=", user.id)
          .where("id", "!=", sha256Hex(session.id))
          .execute();
      });
      await logSecurityEvent(control, now, "password.changed", { userId: user.id }, ctx.info);
      return { ok: true };
    }),
});
