import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { logSecurityEvent } from "../audit/security-log";
import { checkedPasswordHash, createUser, issueEmailToken } from "../auth/accounts";
import { normaliseEmail } from "../auth/throttle";
import { resetPasswordMessage } from "../email/templates";
import { runCompactions } from "../privacy/compaction";
import { deleteAccount } from "../privacy/delete-account";
import { nameSchema } from "../routers/inputs";
import type { Services } from "../services";
import { CliError, group, UsageError, type Command } from "./command";
import { checked, cliInfo, parseCliArgs, readSecret } from "./cli-input";

const emailSchema = z.email("not a valid email address").max(254);

/** API errors carry the readable message the UI shows; the CLI prints the same one. */
function plain<T>(work: Promise<T>): Promise<T> {
  return work.catch((error) => {
    throw error instanceof TRPCError ? new CliError(error.message) : error;
  });
}

async function findUser(services: Services, email: string) {
  const user = await services.control
    .selectFrom("users")
    .select(["id", "email", "name", "is_staff", "deleted_at"])
    .where("email", "=", normaliseEmail(email))
    .executeTakeFirst();
  if (!user || user.deleted_at !== null) throw new CliError(`No account with the email ${email}.`);
  return user;
}

export const createStaffCommand: Command = {
  summary: "create a platform staff (operator) account",
  usage: `npm run cli -- user create-staff --email <email> --name <name> [--password-stdin]

Staff accounts are verified at once and belong to no organisation; they enter an organisation only
through a support link its owner grants. The password is read from stdin when piped, else prompted.`,
  async run(ctx) {
    const { values } = parseCliArgs(ctx.args, {
      email: { type: "string" },
      name: { type: "string" },
      "password-stdin": { type: "boolean" },
    });
    if (!values.email || !values.name) throw new UsageError("create-staff needs --email and --name");
    const email = normaliseEmail(checked(emailSchema, values.email, "--email"));
    const name = checked(nameSchema, values.name, "--name");
    const password = await readSecret("Password (12+ characters): ", values["password-stdin"] ?? false);
    const services = await ctx.services();
    const user = await plain(createUser(services, { name, email, password, isStaff: true, verified: true }));
    await logSecurityEvent(services.control, services.clock.now(), "staff.created_by_operator", { userId: user.id, email }, cliInfo());
    console.log(`Created staff user ${user.email} (${user.id}).`);
  },
};

const resetPasswordCommand: Command = {
  summary: "set a new password, or email a reset link",
  usage: `npm run cli -- user reset-password --email <email> (--password-stdin | --prompt | --send-link)

--password-stdin / --prompt  set the password now (policy-checked); every session of the account ends.
--send-link                  email the usual one-hour reset link (needs APP_URL and SMTP_URL).`,
  async run(ctx) {
    const { values } = parseCliArgs(ctx.args, {
      email: { type: "string" },
      "password-stdin": { type: "boolean" },
      prompt: { type: "boolean" },
      "send-link": { type: "boolean" },
    });
    if (!values.email) throw new UsageError("reset-password needs --email");
    const modes = [values["password-stdin"], values.prompt, values["send-link"]].filter(Boolean).length;
    if (modes !== 1) throw new UsageError("choose exactly one of --password-stdin, --prompt, --send-link");
    const services = await ctx.services();
    const user = await findUser(services, values.email);
    if (values["send-link"]) {
      if (!services.config.appUrl) throw new CliError("--send-link needs APP_URL, the address the link should point at.");
      const token = await issueEmailToken(services, user.id, "reset_password");
      await services.mailer.send(resetPasswordMessage(user.email, `${services.config.appUrl}/reset?token=${token}`));
      await logSecurityEvent(
        services.control,
        services.clock.now(),
        "password.reset_requested",
        { userId: user.id, email: user.email },
        cliInfo(),
        { by: "operator" },
      );
      console.log(`Sent a password reset link to ${user.email}.`);
      return;
    }
    const password = await readSecret("New password (12+ characters): ", values["password-stdin"] ?? false);
    const hash = await plain(checkedPasswordHash(password, user.email, user.name));
    const now = services.clock.now();
    await services.control.updateTable("users").set({ password_hash: hash, updated_at: now }).where("id", "=", user.id).execute();
    await services.auth.invalidateUserSessions(user.id);
    await logSecurityEvent(services.control, now, "password.reset_by_operator", { userId: user.id }, cliInfo());
    console.log(`Set a new password for ${user.email}; all of its sessions have ended.`);
  },
};

const deleteUserCommand: Command = {
  summary: "delete an account (personal data removed, records kept under a pseudonym)",
  usage: `npm run cli -- user delete --email <email> --yes

The same deletion as the account page's: name, email and password hash are removed, sessions and
tokens end, and in the organisations the account belongs or belonged to its member row becomes a
pseudonym (found by id; text people typed there is not searched or changed). An account that never
confirmed its address is removed outright. Refused while the account is the last owner of an
organisation. --yes confirms; nothing is asked interactively.`,
  async run(ctx) {
    const { values } = parseCliArgs(ctx.args, { email: { type: "string" }, yes: { type: "boolean" } });
    if (!values.email) throw new UsageError("delete needs --email");
    if (!values.yes) throw new UsageError("deleting an account cannot be undone; add --yes to confirm");
    const services = await ctx.services();
    const user = await findUser(services, values.email);
    const result = await plain(deleteAccount(services, user.id, cliInfo(), { actor: "operator" }));
    console.log(
      result.pseudonym
        ? `Deleted ${values.email}; its records now show as ${result.pseudonym}.`
        : `Deleted ${values.email}; it had never confirmed its address and owned nothing, so it was removed outright.`,
    );
    // Off any request here, so the files it wrote are rebuilt at once; a server holding them open
    // leaves them queued for its own job.
    const compacted = await plain(runCompactions(services));
    if (compacted.failed) console.log(`${compacted.failed} file(s) stay queued for compaction; the server's job retries them.`);
  },
};

export const userCommand = group("user", "operator work on accounts: create-staff, reset-password, delete", {
  "create-staff": createStaffCommand,
  "reset-password": resetPasswordCommand,
  delete: deleteUserCommand,
});
