import { redirect } from "@remix-run/node";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { ZodError, z } from "zod";
import { localeFromAcceptLanguage } from "./money";

export interface ActionFailure {
  ok: false;
  message: string;
  fieldErrors: Record<string, string[] | undefined>;
  /** A refusal that a confirmation would lift (a payment dated ahead, an overpayment): the form asks for it. */
  confirm?: string;
}

/**
 * A TRPCError thrown in a loader would become a 500 in Remix; turn it into the Response it means.
 * Not logged in → the login page; anything else → its HTTP status with the error's own sentence.
 */
const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  429: "Too Many Requests",
};

/**
 * The server's refusal when its storage is full (server/storage/storage-full.ts: a TRPCError whose
 * message is the sentence and whose cause has code STORAGE_FULL), recognised without importing
 * server code into app/.
 */
function isStorageFull(error: TRPCError) {
  return (error.cause as { code?: unknown } | undefined)?.code === "STORAGE_FULL";
}

export function toResponse(error: unknown, request: Request): never {
  if (!(error instanceof TRPCError)) throw error;
  if (isStorageFull(error)) throw new Response(error.message, { status: 507, statusText: "Insufficient Storage" });
  if (error.code === "UNAUTHORIZED") {
    const url = new URL(request.url);
    throw redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`);
  }
  // The sentence goes in the body: a status text must be one Latin-1 line, and zod's messages are neither.
  const status = getHTTPStatusCodeFromError(error);
  const message = error.cause instanceof ZodError ? "The address of this page is not valid." : error.message;
  throw new Response(message, { status, statusText: STATUS_TEXT[status] ?? "Error" });
}

export async function load<T>(request: Request, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    toResponse(error, request);
  }
}

/**
 * For actions: bad input and refused operations come back as values the form can show next to its
 * fields; only "not logged in" and real faults leave the page.
 */
export async function attempt<T>(
  request: Request,
  call: () => Promise<T>,
  options: { wrongCredentialsIsValue?: boolean } = {},
): Promise<{ ok: true; data: T } | ActionFailure> {
  try {
    return { ok: true, data: await call() };
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    if (error.code === "UNAUTHORIZED" && !options.wrongCredentialsIsValue) return toResponse(error, request);
    // Full storage is said on the form, like a refused operation, so what the person typed stays there.
    if (isStorageFull(error)) return { ok: false, message: error.message, fieldErrors: {} };
    if (error.cause instanceof ZodError) {
      return {
        ok: false,
        message: "Please correct the marked fields.",
        fieldErrors: z.flattenError(error.cause).fieldErrors,
      };
    }
    // server/billing/payment-rules.ts's ConfirmationNeeded, recognised by shape without importing server code.
    const confirm = (error.cause as { confirm?: unknown } | undefined)?.confirm;
    return { ok: false, message: error.message, fieldErrors: {}, ...(typeof confirm === "string" && { confirm }) };
  }
}

/** A text field's value; a file sent where text was expected reads as empty, not as "[object File]". */
/**
 * The posted form. A body that is not one (another Content-Type, a broken multipart body) is the
 * sender's mistake: 400 with a sentence, not the parser's TypeError as a 500.
 */
export async function readForm(request: Request): Promise<FormData> {
  try {
    return await request.formData();
  } catch {
    throw new Response("The form could not be read. Reload the page and send it again.", { status: 400, statusText: "Bad Request" });
  }
}

export function formText(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}

export function formObject(form: FormData): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of form) if (typeof value === "string") out[key] = value;
  return out;
}

/** The number format amounts are typed in: the person's browser language (ADR 015). */
export function requestLocale(request: Request): string {
  return localeFromAcceptLanguage(request.headers.get("accept-language"));
}

/** Hours as typed ("12.5") → seconds; null for blank, undefined when it is not a number. */
export function parseHours(value: string | undefined): number | null | undefined {
  const v = (value ?? "").trim();
  if (v === "") return null;
  if (!/^\d{1,6}(\.\d{1,2})?$/.test(v)) return undefined;
  return Math.round(Number(v) * 3600);
}
