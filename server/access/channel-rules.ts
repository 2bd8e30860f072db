import type { Kysely } from "kysely";
import type { TenantDB } from "../../db/tenant/schema";
import { projectVisible, type ProjectAccess } from "../../db/tenant/visibility";
import type { Permission } from "../permissions/catalogue";

/**
 * The visibility rule of the lists, as functions every output channel calls (API answers, pages,
 * CSV, exports, timelines): which projects a person may see (projectVisible, the one SQL rule) and
 * whether money may reach them (project.rates.view). A channel that keeps broad sight on purpose
 * says so in the catalogue's `reveals` instead (see ADR 014).
 */

/** What stands in for a project or task the reader cannot see now: no current name, title or text. */
export const NOT_SHARED = {
  project: "a project not shared with you",
  task: "a task not shared with you",
} as const;

/** Rates and money amounts leave the server only to a role that may see rates, as projects.get does. */
export function seesMoney(permissions: ReadonlySet<Permission>): boolean {
  return permissions.has("project.rates.view");
}

/**
 * The ids of the projects `access` sees now, through the same projectVisible condition the lists use.
 * Takes a handle so work outside a request (a personal export across organisations) can ask too.
 */
export async function visibleProjectIds(db: Kysely<TenantDB>, access: ProjectAccess): Promise<ReadonlySet<string>> {
  const rows = await db.selectFrom("projects").select("id").where(projectVisible("projects.id", access)).execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * Keys under which audit details record money: rates set (rate.set), amounts of invoice lines,
 * invoice totals, payments. Timelines shown beside a project drop them for a reader without rates.
 */
const MONEY_KEYS = new Set(["hourly_rate", "previous_rate", "rate", "amount", "subtotal", "tax", "total", "balance", "budget_seconds"]);

/** An audit detail without its money, for a reader who may not see rates; the same object otherwise. */
export function detailForReader(detail: Record<string, unknown>, permissions: ReadonlySet<Permission>): Record<string, unknown> {
  if (seesMoney(permissions)) return detail;
  return Object.fromEntries(Object.entries(detail).filter(([key]) => !MONEY_KEYS.has(key)));
}
