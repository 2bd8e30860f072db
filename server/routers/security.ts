import { sql } from "kysely";
import { z } from "zod";
import { router } from "../trpc/init";
import { authedProcedure, staffProcedure } from "../trpc/procedures";
import {
  RANGE_ORDER_ERROR,
  dateRangeFields,
  endOf,
  exactOrPrefix,
  filterText,
  namePattern,
  pageFields,
  rangeInOrder,
  startOf,
} from "./query-inputs";

function parseDetail(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
  } catch {
    return { raw: text };
  }
}

function page<T extends { id: number }>(rows: T[], limit: number) {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
}

export const securityRouter = router({
  /**
   * The viewer's own entries in the platform security log (sign-ins, failed attempts on their
   * account, sign-outs, password changes, ended sessions), newest first. Matched by user id only:
   * a failed login for an existing account is stored with its user id.
   */
  myHistory: authedProcedure
    .meta({ access: "authed" })
    .input(z.object(pageFields).prefault({}))
    .query(async ({ ctx, input }) => {
      let q = ctx.services.control
        .selectFrom("security_log")
        .select(["id", "at", "event", "ip", "user_agent", "detail"])
        .where("user_id", "=", ctx.viewer.user.id)
        .orderBy("id", "desc")
        .limit(input.limit + 1);
      if (input.cursor !== undefined) q = q.where("id", "<", input.cursor);
      const rows = await q.execute();
      return page(
        rows.map((r) => ({ id: r.id, at: r.at, event: r.event, ip: r.ip, userAgent: r.user_agent, detail: parseDetail(r.detail) })),
        input.limit,
      );
    }),

  /** Platform-wide, for staff: every event, with the account it concerns where there is one. */
  platformLog: staffProcedure
    .meta({ access: "staff" })
    .input(
      z
        .object({
          /** Exact ("login.failure") or a prefix ending in "." or "*" ("login."). */
          event: namePattern.optional(),
          /** Part of the email address, case-insensitive: the address typed or the account's. */
          email: filterText(254).optional(),
          ip: filterText(64).optional(),
          userId: filterText(100).optional(),
          ...dateRangeFields,
          ...pageFields,
        })
        .refine(rangeInOrder, RANGE_ORDER_ERROR),
    )
    .query(async ({ ctx, input }) => {
      let q = ctx.services.control
        .selectFrom("security_log")
        .leftJoin("users", "users.id", "security_log.user_id")
        .select([
          "security_log.id",
          "security_log.at",
          "security_log.event",
          "security_log.user_id",
          "security_log.email",
          "security_log.ip",
          "security_log.user_agent",
          "security_log.detail",
          "users.email as account_email",
          "users.name as account_name",
        ])
        .orderBy("security_log.id", "desc")
        .limit(input.limit + 1);
      const event = exactOrPrefix(input.event);
      if (event.exact !== undefined) q = q.where("security_log.event", "=", event.exact);
      // substr and instr, not LIKE: what staff type is matched literally, % and _ included.
      if (event.prefix !== undefined) q = q.where(sql<string>`substr(security_log.event, 1, ${event.prefix.length})`, "=", event.prefix);
      if (input.email !== undefined) {
        const needle = input.email.toLowerCase();
        q = q.where((eb) =>
          eb.or([
            eb(sql<number>`instr(lower(security_log.email), ${needle})`, ">", 0),
            eb(sql<number>`instr(lower(users.email), ${needle})`, ">", 0),
          ]),
        );
      }
      if (input.ip !== undefined) q = q.where("security_log.ip", "=", input.ip);
      if (input.userId !== undefined) q = q.where("security_log.user_id", "=", input.userId);
      if (input.from !== undefined) q = q.where("security_log.at", ">=", startOf(input.from));
      if (input.to !== undefined) q = q.where("security_log.at", "<=", endOf(input.to));
      if (input.cursor !== undefined) q = q.where("security_log.id", "<", input.cursor);
      const rows = await q.execute();
      return page(
        rows.map((r) => ({
          id: r.id,
          at: r.at,
          event: r.event,
          userId: r.user_id,
          accountEmail: r.account_email ?? null,
          accountName: r.account_name ?? null,
          /** The address as given (e.g. typed at a failed login), which may name no account. */
          email: r.email,
          ip: r.ip,
          userAgent: r.user_agent,
          detail: parseDetail(r.detail),
        })),
        input.limit,
      );
    }),
});
