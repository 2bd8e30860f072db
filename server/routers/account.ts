import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { logSecurityEvent } from "../audit/security-log";
import { checkedPasswordHash } from "../auth/accounts";
import { verifyPassword } from "../auth/password";
import { ThrottledError } from "../auth/throttle";
import { sha256Hex } from "../auth/tokens";
import { kickCompaction } from "../privacy/compaction";
import { deleteAccount } from "../privacy/delete-account";
import { personalExport } from "../privacy/personal-export";
import { leaveSupport } from "../support/support-access";
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
      await logSecurityEvent(control, clock.now(), "session.revoked", { userId: ctx.viewer.user.id }, ctx.info, {
        session: input.id.slice(0, 8),
      });
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
        await trx.deleteFrom("sessions").where("user_id", "=", user.id).where("id", "!=", sha256Hex(session.id)).execute();
      });
      await logSecurityEvent(control, now, "password.changed", { userId: user.id }, ctx.info);
      return { ok: true };
    }),

  /** Everything held about the caller, as JSON (the account page offers it as a file download). */
  exportData: authedProcedure.meta({ access: "authed" }).query(async ({ ctx }) => {
    const data = await personalExport(ctx.services, ctx.viewer.user.id);
    await logSecurityEvent(ctx.services.control, ctx.services.clock.now(), "account.exported", { userId: ctx.viewer.user.id }, ctx.info);
    return data;
  }),

  /**
   * Self-service deletion: the password again (a session left open on a shared computer is not
   * enough) and the account's email typed out (so the person names what goes). Password attempts
   * count towards the login throttle, so this cannot be used to guess the password either.
   */
  delete: authedProcedure
    .meta({ access: "authed" })
    .input(z.object({ password: passwordSchema, confirm: z.string().trim().max(254, "Too long.") }))
    .mutation(async ({ ctx, input }) => {
      const { control, throttle } = ctx.services;
      const { user } = ctx.viewer;
      if (input.confirm.toLowerCase() !== user.email.toLowerCase()) {
        throw badRequest(`Type your email address (${user.email}) to confirm.`);
      }
      try {
        throttle.check(user.email, ctx.info.ip);
      } catch (error) {
        if (!(error instanceof ThrottledError)) throw error;
        throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: error.message });
      }
      const row = await control.selectFrom("users").select("password_hash").where("id", "=", user.id).executeTakeFirstOrThrow();
      if (!(await verifyPassword(row.password_hash, input.password))) {
        throttle.fail(user.email, ctx.info.ip);
        throw badRequest("Your password is not correct.");
      }
      throttle.succeed(user.email);
      // A staff member's support session goes with the account (deleteAccount drops the rows too).
      await leaveSupport(ctx);
      const result = await deleteAccount(ctx.services, user.id, ctx.info, { actor: "self" });
      // Rebuilding the files it wrote takes as long as copying them: after the answer, never in it.
      kickCompaction(ctx.services);
      ctx.setCookie(ctx.services.auth.createBlankSessionCookie().serialize());
      return { pseudonym: result.pseudonym };
    }),
});
