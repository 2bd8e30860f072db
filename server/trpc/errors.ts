import { TRPCError } from "@trpc/server";

export const unauthorized = () => new TRPCError({ code: "UNAUTHORIZED", message: "Please log in." });
export const notFound = (what: string) => new TRPCError({ code: "NOT_FOUND", message: `${what} not found.` });
export const forbidden = (message: string) => new TRPCError({ code: "FORBIDDEN", message });
export const badRequest = (message: string) => new TRPCError({ code: "BAD_REQUEST", message });
export const conflict = (message: string) => new TRPCError({ code: "CONFLICT", message });

/** SQLite constraint failures become a sentence for the user instead of a 500. */
export function isUniqueViolation(error: unknown) {
  return error instanceof Error && "code" in error && (error as { code: string }).code === "SQLITE_CONSTRAINT_UNIQUE";
}

/**
 * A rule the file itself enforces (a trigger's RAISE, a CHECK) refused the write: the caller asked
 * for something the data may never hold, which is a conflict to explain, not a server fault. The
 * triggers raise whole sentences; a CHECK names only its expression, so it gets one of ours.
 */
export function fileRuleRefusal(error: unknown): TRPCError | null {
  const code = error instanceof Error && "code" in error ? (error as { code: unknown }).code : null;
  if (code === "SQLITE_CONSTRAINT_TRIGGER") return conflict(`This change was refused: ${(error as Error).message}.`);
  if (code === "SQLITE_CONSTRAINT_CHECK")
    return conflict("This change was refused: it would store a value the organisation's data may not hold.");
  return null;
}
