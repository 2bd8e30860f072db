import { z } from "zod";
import { slugSchema } from "../trpc/tenant-context";

/** Shared input pieces: every tenant procedure's input starts from `orgInput`. */
export const orgInput = z.object({ org: slugSchema });

export const idSchema = (prefix: string) => z.string().regex(new RegExp(`^${prefix}[a-z2-7]{24}$`), "Not a valid id.");

export const nameSchema = z.string().trim().min(1, "Required.").max(200, "Use at most 200 characters.");

export const optionalEmail = z
  .union([z.literal(""), z.email("Enter a valid email address.").max(254)])
  .nullish()
  .transform((v) => (v ? v.toLowerCase() : null));

export const notesSchema = z.string().max(10_000, "Use at most 10,000 characters.");
