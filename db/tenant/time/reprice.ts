import { createHash } from "node:crypto";
import { sql } from "kysely";
import { tenantDb } from "../context";
import { projectVisible } from "../visibility";

/** Which unbilled entries a re-price looks at: bounds are UTC ms of local midnights, [from, to). */
export interface RepriceFilter {
  projectId?: string;
  memberId?: string;
  from?: number;
  to?: number;
}

/** A re-price touches at most this many entries at once: the preview lists every one it will change. */
export const REPRICE_LIMIT = 2000;

/**
 * The rate resolveRate would give each entry now (member's project rate, the project's rate when
 * set, the member's default, else 0), as one SQL expression so a whole range is priced in one read.
 */
const currentRate = sql<number>`coalesce(
  (select r.hourly_rate from member_rates r where r.member_id = time_entries.member_id and r.project_id = time_entries.project_id),
  nullif(projects.hourly_rate, 0),
  (select r.hourly_rate from member_rates r where r.member_id = time_entries.member_id and r.project_id is null),
  0)`;

/**
 * Unbilled, finished, unflagged entries in visible projects whose stored rate differs from the rate
 * that applies today, oldest first. An entry's rate is fixed when it is logged; this is the only way
 * it changes (issue 26).
 */
export function repriceCandidates(f: RepriceFilter) {
  return tenantDb()
    .selectFrom("time_entries")
    .innerJoin("projects", "projects.id", "time_entries.project_id")
    .leftJoin("members", "members.user_id", "time_entries.member_id")
    .select([
      "time_entries.id",
      "time_entries.member_id",
      "members.name as member_name",
      "time_entries.project_id",
      "projects.name as project_name",
      "time_entries.started_at",
      "time_entries.duration_seconds",
      "time_entries.billable",
      "time_entries.hourly_rate",
      currentRate.as("new_rate"),
    ])
    .where(projectVisible("time_entries.project_id"))
    .where("time_entries.invoice_id", "is", null)
    .where("time_entries.ended_at", "is not", null)
    .where("time_entries.problem", "is", null)
    .where(sql<boolean>`time_entries.hourly_rate <> ${currentRate}`)
    .$if(f.projectId !== undefined, (q) => q.where("time_entries.project_id", "=", f.projectId!))
    .$if(f.memberId !== undefined, (q) => q.where("time_entries.member_id", "=", f.memberId!))
    .$if(f.from !== undefined, (q) => q.where("time_entries.started_at", ">=", f.from!))
    .$if(f.to !== undefined, (q) => q.where("time_entries.started_at", "<", f.to!))
    .orderBy("time_entries.started_at")
    .orderBy("time_entries.id")
    .limit(REPRICE_LIMIT + 1)
    .execute();
}

export type RepriceCandidate = Awaited<ReturnType<typeof repriceCandidates>>[number];

/** What the preview promised: the same entries at the same old and new rates, or the apply is refused. */
export function previewToken(rows: RepriceCandidate[]): string {
  const hash = createHash("sha256");
  for (const r of rows) hash.update(`${r.id}:${r.hourly_rate}:${r.new_rate}:${r.duration_seconds}:${r.billable}\n`);
  return hash.digest("hex");
}

export async function setEntryRate(id: string, hourlyRate: number, now: number) {
  await tenantDb().updateTable("time_entries").set({ hourly_rate: hourlyRate, updated_at: now }).where("id", "=", id).execute();
}
