import { TRPCError } from "@trpc/server";
import { ZodError, z } from "zod";
import { toResponse } from "./api.server";

export interface FilterProblem {
  message: string;
  fieldErrors: Record<string, string[] | undefined>;
}

/**
 * For pages whose input is a filter form in the URL: a filter the API refuses comes back as a value
 * the form can show next to its fields; anything else (not logged in, forbidden) leaves the page.
 */
export async function loadFiltered<T>(
  request: Request,
  call: () => Promise<T>,
): Promise<{ data: T; problem: null } | { data: null; problem: FilterProblem }> {
  try {
    return { data: await call(), problem: null };
  } catch (error) {
    if (error instanceof TRPCError && error.cause instanceof ZodError) {
      return {
        data: null,
        problem: {
          message: "Please correct the marked filters.",
          fieldErrors: z.flattenError(error.cause).fieldErrors,
        },
      };
    }
    toResponse(error, request);
  }
}

/**
 * For resource routes (downloads): a refused filter becomes a plain-text 400 naming the field, not
 * a 500. (toResponse puts the error's message in the status line, and a validation error's raw
 * message spans several lines, which a Response refuses.)
 */
export async function loadOrBadRequest<T>(request: Request, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof TRPCError && error.cause instanceof ZodError) {
      const detail = error.cause.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
      throw new Response(`Invalid request: ${detail}\n`, { status: 400, headers: { "Content-Type": "text/plain; charset=utf-8" } });
    }
    toResponse(error, request);
  }
}
