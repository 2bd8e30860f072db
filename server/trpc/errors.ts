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
