import { TRPCError } from "@trpc/server";
import { sql } from "kysely";
import { z } from "zod";
import { logSecurityEvent } from "../audit/security-log";
import { consumeEmailToken, createUser, issueEmailToken, checkedPasswordHash } from "../auth/accounts";
import { burnPasswordCheck, verifyPassword } from "../auth/password";
import { startSession } from "../auth/session";
import { sha256Hex } from "../auth/tokens";
import { ThrottledError } from "../auth/throttle";
import { resetPasswordMessage, verifyEmailMessage } from "../email/templates";
import { leaveSupport } from "../support/support-access";
import { badRequest, conflict } from "../trpc/errors";
import { router } from "../trpc/init";
import { authedProcedure, publicProcedure } from "../trpc/procedures";
import type { Context } from "../trpc/context";
import { emailSchema, passwordSchema, personNameSchema, tokenSchema } from "./auth-inputs";

const newAccount = z.object({ name: personNameSchema, email: emailSchema, password: passwordSchema });

async function sendVerification(ctx: Context, user: { id: string; email: string; name: string }) {
  const token = await issueEmailToken(ctx.services, user.id, "verify_email");
  await ctx.services.mailer.send(verifyEmailMessage(user.email, user.name, `${ctx.origin}/verify?token=${token}`));
}

export const authRouter = router({
  /** What the first screen needs: is this a fresh install, and who is looking. */
  status: publicProcedure.meta({ access: "public" }).query(async ({ ctx }) => {
    const anyUser = await ctx.services.control.selectFrom("users").select("id").limit(1).executeTakeFirst();
    const v = ctx.viewer;
    return {
      needsSetup: !anyUser,
      viewer: v
        ? { id: v.user.id, name: v.user.name, email: v.user.email, emailVerified: v.user.emailVerified, isStaff: v.user.isStaff }
        : null,
    };
  }),

  /** First run only: creates the operator (staff) account. Refused once any account exists. */
  setup: publicProcedure
    .meta({ access: "public" })
    .input(newAccount)
    .mutation(async ({ ctx, input }) => {
      const { control } = ctx.services;
      if (await control.selectFrom("users").select("id").limit(1).executeTakeFirst()) {
        throw conflict("This instance is already set up.");
      }
      const user = await createUser(ctx.services, { ...input, isStaff: true, verified: true });
      // Two racing first-run forms: the loser's account is removed again, so there is exactly one operator.
      const first = await control.selectFrom("users").select("id").orderBy("created_at").orderBy("id").limit(1).executeTakeFirstOrThrow();
      if (first.id !== user.id) {
        await control.deleteFrom("users").where("id", "=", user.id).execute();
        throw conflict("This instance is already set up.");
      }
      await logSecurityEvent(control, ctx.services.clock.now(), "setup.operator_created", { userId: user.id, email: user.email }, ctx.info);
      ctx.setCookie(await startSession(ctx.services, user.id, ctx.info));
      return { id: user.id };
    }),

  signup: publicProcedure
    .meta({ access: "public" })
    .input(newAccount)
    .mutation(async ({ ctx, input }) => {
      const user = await createUser(ctx.services, { ...input, isStaff: false, verified: false });
      await logSecurityEvent(ctx.services.control, ctx.services.clock.now(), "signup", { userId: user.id, email: user.email }, ctx.info);
      await sendVerification(ctx, user);
      ctx.setCookie(await startSession(ctx.services, user.id, ctx.info));
      return { id: user.id };
    }),

  resendVerification: authedProcedure.meta({ access: "authed" }).mutation(async ({ ctx }) => {
    if (ctx.viewer.user.emailVerified) return { sent: false };
    await sendVerification(ctx, { id: ctx.viewer.user.id, email: ctx.viewer.user.email, name: ctx.viewer.user.name });
    return { sent: true };
  }),

  verifyEmail: publicProcedure
    .meta({ access: "public" })
    .input(z.object({ token: tokenSchema }))
    .mutation(async ({ ctx, input }) => {
      const { control, clock } = ctx.services;
      const userId = await consumeEmailToken(ctx.services, input.token, "verify_email");
      if (!userId) throw badRequest("This confirmation link is invalid or has expired. Ask for a new one from your account page.");
      await control
        .updateTable("users")
        .set({ email_verified_at: clock.now(), updated_at: clock.now() })
        .where("id", "=", userId)
        .execute();
      await logSecurityEvent(control, clock.now(), "email.verified", { userId }, ctx.info);
      return { verified: true };
    }),

  login: publicProcedure
    .meta({ access: "public", sessionWrite: true })
    .input(z.object({ email: emailSchema, password: passwordSchema }))
    .mutation(async ({ ctx, input }) => {
      const { control, throttle, clock } = ctx.services;
      try {
        throttle.check(input.email, ctx.info.ip);
      } catch (error) {
        if (!(error instanceof ThrottledError)) throw error;
        // Tied to the account when there is one, so its owner sees the attempts in their login history.
        const known = await control.selectFrom("users").select("id").where("email", "=", input.email).executeTakeFirst();
        await logSecurityEvent(control, clock.now(), "login.throttled", { userId: known?.id, email: input.email }, ctx.info);
        throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: error.message });
      }
      const user = await control
        .selectFrom("users")
        .select(["id", "email", "password_hash"])
        .where("email", "=", input.email)
        .executeTakeFirst();
      const ok = user ? await verifyPassword(user.password_hash, input.password) : (await burnPasswordCheck(input.password), false);
      if (!user || !ok) {
        throttle.fail(input.email, ctx.info.ip);
        await logSecurityEvent(control, clock.now(), "login.failure", { userId: user?.id, email: input.email }, ctx.info);
        throw new TRPCError({ code: "UNAUTHORIZED", message: "That email and password do not match an account." });
      }
      throttle.succeed(input.email);
      await logSecurityEvent(control, clock.now(), "login.success", { userId: user.id, email: user.email }, ctx.info);
      ctx.setCookie(await startSession(ctx.services, user.id, ctx.info));
      return { id: user.id };
    }),

  logout: publicProcedure.meta({ access: "public", sessionWrite: true }).mutation(async ({ ctx }) => {
    const { auth, control, clock } = ctx.services;
    // A support session ends with the login it was opened under.
    await leaveSupport(ctx);
    if (ctx.viewer) {
      await auth.invalidateSession(ctx.viewer.session.id);
      await logSecurityEvent(control, clock.now(), "logout", { userId: ctx.viewer.user.id }, ctx.info);
    }
    ctx.setCookie(auth.createBlankSessionCookie().serialize());
    return { ok: true };
  }),

  /** Same answer whether or not the account exists, so this form cannot be used to find accounts. */
  requestPasswordReset: publicProcedure
    .meta({ access: "public" })
    .input(z.object({ email: emailSchema }))
    .mutation(async ({ ctx, input }) => {
      const { control, clock, mailer } = ctx.services;
      const user = await control.selectFrom("users").select(["id", "email"]).where("email", "=", input.email).executeTakeFirst();
      await logSecurityEvent(control, clock.now(), "password.reset_requested", { userId: user?.id, email: input.email }, ctx.info);
      if (user) {
        const token = await issueEmailToken(ctx.services, user.id, "reset_password");
        await mailer.send(resetPasswordMessage(user.email, `${ctx.origin}/reset?token=${token}`));
      }
      return { ok: true };
    }),

  resetPassword: publicProcedure
    .meta({ access: "public" })
    .input(z.object({ token: tokenSchema, password: passwordSchema }))
    .mutation(async ({ ctx, input }) => {
      const { control, clock, auth } = ctx.services;
      const owner = await control
        .selectFrom("email_tokens")
        .innerJoin("users", "users.id", "email_tokens.user_id")
        .select(["users.email", "users.name"])
        .where("token_hash", "=", sha256Hex(input.token))
        .executeTakeFirst();
      // Check the new password before spending the token, so a refused password does not burn the link.
      const passwordHash = await checkedPasswordHash(input.password, owner?.email ?? "", owner?.name);
      const userId = await consumeEmailToken(ctx.services, input.token, "reset_password");
      if (!userId) throw badRequest("This reset link is invalid or has expired. Ask for a new one.");
      const now = clock.now();
      // Whoever holds the inbox has just proved it: the address counts as confirmed.
      await control
        .updateTable("users")
        .set({ password_hash: passwordHash, updated_at: now, email_verified_at: sql<number>`coalesce(email_verified_at, ${now})` })
        .where("id", "=", userId)
        .execute();
      await auth.invalidateUserSessions(userId);
      await logSecurityEvent(control, now, "password.reset", { userId }, ctx.info);
      return { ok: true };
    }),
});
