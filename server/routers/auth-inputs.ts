import { z } from "zod";
import { PASSWORD_MAX } from "../auth/password-policy";
import { normaliseEmail } from "../auth/throttle";

export const emailSchema = z
  .string()
  .max(254, "Use at most 254 characters.")
  .transform(normaliseEmail)
  .pipe(z.email("Enter a valid email address."));

// Length and strength rules live in passwordProblem (a readable sentence); this only bounds the input.
export const passwordSchema = z
  .string()
  .min(1, "Required.")
  .max(PASSWORD_MAX * 4, "Too long.");

export const personNameSchema = z.string().trim().min(1, "Required.").max(100, "Use at most 100 characters.");

export const tokenSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "This link is not valid.");
