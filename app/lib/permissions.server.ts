import { TRPCError } from "@trpc/server";

/**
 * For a part of a page the viewer's role may not allow (the sharing panel, the invitation list):
 * "not allowed" becomes null so the page leaves that part out; every other error still counts.
 */
export async function ifAllowed<T>(call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof TRPCError && error.code === "FORBIDDEN") return null;
    throw error;
  }
}
