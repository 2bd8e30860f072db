import { z } from "zod";

/** Input pieces for the log views (tenant audit log, platform security log). */

const DAY_MS = 86_400_000;
// The largest time a JavaScript Date can hold.
const MAX_TIME = 8_640_000_000_000_000;

/**
 * A point in time: milliseconds since the epoch, an ISO date (YYYY-MM-DD, a whole UTC day) or an
 * ISO date-time with a zone (Z or ±hh:mm).
 */
const instant = z.union([z.number().int().min(0).max(MAX_TIME), z.iso.date(), z.iso.datetime({ offset: true })], {
  error: "Use a date (YYYY-MM-DD), an ISO date-time with a zone, or milliseconds since the epoch.",
});
type Instant = z.infer<typeof instant>;

const isDateOnly = (v: Instant): v is string => typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v);

/** Start of the range, inclusive: a date means from 00:00 UTC of that day. */
export function startOf(v: Instant): number {
  if (typeof v === "number") return v;
  return isDateOnly(v) ? Date.parse(`${v}T00:00:00.000Z`) : Date.parse(v);
}

/** End of the range, inclusive: a date means up to the last millisecond of that day (UTC). */
export function endOf(v: Instant): number {
  if (typeof v === "number") return v;
  return isDateOnly(v) ? Date.parse(`${v}T00:00:00.000Z`) + DAY_MS - 1 : Date.parse(v);
}

export const dateRangeFields = { from: instant.optional(), to: instant.optional() };

/** Refines an object that has `from`/`to`: the end may not come before the start. */
export function rangeInOrder(v: { from?: Instant; to?: Instant }) {
  return v.from === undefined || v.to === undefined || startOf(v.from) <= endOf(v.to);
}
export const RANGE_ORDER_ERROR = { message: "The end of the range is before its start.", path: ["to"] };

export const pageFields = {
  limit: z.number().int().min(1).max(200).default(50),
  /** The `nextCursor` of the previous page: rows with a smaller id come next. */
  cursor: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
};

/**
 * An action or event name ("client.create"), or a prefix of one: ending in "." or "*" ("client." or
 * "client.*") matches every name that starts with it.
 */
export const namePattern = z
  .string()
  .trim()
  .min(1, "Required.")
  .max(100, "Use at most 100 characters.")
  .regex(/^[A-Za-z0-9_.-]+\*?$/, "Use a name such as client.create, or a prefix such as client.");

export function exactOrPrefix(value: string | undefined): { exact?: string; prefix?: string } {
  if (value === undefined) return {};
  if (value.endsWith("*")) return { prefix: value.slice(0, -1) };
  if (value.endsWith(".")) return { prefix: value };
  return { exact: value };
}

/** A free-text filter value: trimmed, bounded, never empty. */
export const filterText = (max: number) => z.string().trim().min(1, "Required.").max(max, `Use at most ${max} characters.`);
