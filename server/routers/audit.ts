import { z } from "zod";
import { exportAuditLog, listAuditLog, type AuditEntry, type AuditFilter } from "../../db/tenant/audit-log";
import { audit } from "../audit/audit";
import { toCsv } from "../audit/csv";
import { badRequest } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { orgInput } from "./inputs";
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

/** The most rows one export may hold; a wider export is refused with a request to narrow it. */
export const AUDIT_EXPORT_MAX_ROWS = 50_000;

const filterFields = {
  actorId: filterText(100).optional(),
  actorKind: z.enum(["user", "support", "api", "system"]).optional(),
  /** Exact ("client.create") or a prefix ending in "." or "*" ("client."). */
  action: namePattern.optional(),
  targetType: filterText(50).optional(),
  targetId: filterText(100).optional(),
  ...dateRangeFields,
};

type FilterInput = z.output<z.ZodObject<typeof filterFields>>;

function toFilter(input: FilterInput): AuditFilter {
  const action = exactOrPrefix(input.action);
  return {
    actorId: input.actorId,
    actorKind: input.actorKind,
    action: action.exact,
    actionPrefix: action.prefix,
    targetType: input.targetType,
    targetId: input.targetId,
    from: input.from === undefined ? undefined : startOf(input.from),
    to: input.to === undefined ? undefined : endOf(input.to),
  };
}

export const CSV_COLUMNS = [
  "id",
  "time_utc",
  "actor_kind",
  "actor_id",
  "actor_name",
  "ip",
  "user_agent",
  "action",
  "target_type",
  "target_id",
  "detail",
] as const;

function csvRow(e: AuditEntry) {
  return [
    e.id,
    new Date(e.at).toISOString(),
    e.actorKind,
    e.actorId,
    e.actorName,
    e.ip,
    e.userAgent,
    e.action,
    e.targetType,
    e.targetId,
    JSON.stringify(e.detail),
  ];
}

function stamp(ms: number) {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

export const auditRouter = router({
  list: tenantProcedure
    .meta({ permission: "audit.view" })
    .input(orgInput.extend({ ...filterFields, ...pageFields }).refine(rangeInOrder, RANGE_ORDER_ERROR))
    .query(({ input }) => listAuditLog(toFilter(input), { limit: input.limit, cursor: input.cursor })),

  /**
   * The whole filtered log as a file. Read-only towards history; the export itself is recorded as
   * one new audit row, appended after the rows are read, so the file matches what was asked for.
   */
  export: tenantProcedure
    .meta({ permission: "audit.export" })
    .input(orgInput.extend({ ...filterFields, format: z.enum(["csv", "json"]) }).refine(rangeInOrder, RANGE_ORDER_ERROR))
    .query(async ({ ctx, input }) => {
      const entries = await exportAuditLog(toFilter(input), AUDIT_EXPORT_MAX_ROWS);
      if (!entries) {
        throw badRequest(
          `More than ${AUDIT_EXPORT_MAX_ROWS.toLocaleString("en")} entries match. Narrow the filter, for example to a shorter date range.`,
        );
      }
      const now = Date.now();
      const filename = `audit-${ctx.tenant.slug}-${stamp(now)}.${input.format}`;
      const content =
        input.format === "csv"
          ? toCsv(CSV_COLUMNS, entries.map(csvRow))
          : `${JSON.stringify({ organisation: ctx.tenant.slug, exportedAt: new Date(now).toISOString(), entries }, null, 2)}\n`;
      const { org: _org, format, ...filters } = input;
      await audit(ctx.actor, "audit.export", null, { format, rows: entries.length, filters });
      return {
        filename,
        contentType: input.format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
        rowCount: entries.length,
        content,
      };
    }),
});
