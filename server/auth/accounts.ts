import type { Services } from "../services";
import { badRequest, conflict, isUniqueViolation } from "../trpc/errors";
import { hashPassword } from "./password";
import { passwordProblem } from "./password-policy";
import { newId, newToken, sha256Hex } from "./tokens";

export interface NewUser {
  name: string;
  email: string;
  password: string;
  isStaff: boolean;
  verified: boolean;
}

/** Checks the policy before hashing, so a refused password costs no argon2 time. */
export async function checkedPasswordHash(password: string, email: string, name?: string) {
  const problem = passwordProblem(password, email, name);
  if (problem) throw badRequest(problem);
  return hashPassword(password);
}

export async function createUser(services: Services, u: NewUser) {
  const passwordHash = await checkedPasswordHash(u.password, u.email, u.name);
  const now = services.clock.now();
  const user = {
    id: newId("u"),
    email: u.email,
    name: u.name,
    password_hash: passwordHash,
    email_verified_at: u.verified ? now : null,
    is_staff: u.isStaff ? 1 : 0,
    created_at: now,
    updated_at: now,
  };
  try {
    await services.control.insertInto("users").values(user).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict("An account with this email already exists. Log in, or reset your password.");
    throw error;
  }
  return user;
}

const TOKEN_LIFETIME = { verify_email: 48 * 3_600_000, reset_password: 3_600_000 } as const;
export type TokenPurpose = keyof typeof TOKEN_LIFETIME;

/** Issues a single-use emailed token; a newer token of the same purpose replaces older ones. */
export async function issueEmailToken(services: Services, userId: string, purpose: TokenPurpose) {
  const token = newToken();
  const now = services.clock.now();
  await services.control.transaction().execute(async (trx) => {
    await trx.deleteFrom("email_tokens").where("user_id", "=", userId).where("purpose", "=", purpose).execute();
    await trx
      .insertInto("email_tokens")
      .values({ token_hash: sha256Hex(token), user_id: userId, purpose, expires_at: now + TOKEN_LIFETIME[purpose], created_at: now })
      .execute();
  });
  return token;
}

/** Deletes the token as it is used, so a second use (or a race of two) finds nothing. */
export async function consumeEmailToken(services: Services, token: string, purpose: TokenPurpose) {
  const row = await services.control
    .deleteFrom("email_tokens")
    .where("token_hash", "=", sha256Hex(token))
    .where("purpose", "=", purpose)
    .returning(["user_id", "expires_at"])
    .executeTakeFirst();
  if (!row || row.expires_at <= services.clock.now()) return null;
  return row.user_id;
}
