import type { Generated, Selectable } from "kysely";
import { tenantDb } from "../context";
import { projectVisible } from "../visibility";

/**
 * Rates that migration 0016 found possibly stored at the wrong scale (typed in a form that read
 * every currency as hundredths). Each waits for the owner to keep it or fix it; nothing is rescaled
 * by itself.
 */
export interface RateScaleReviewsTable {
  id: Generated<number>;
  target: "member_rate" | "project";
  /** The member whose rate it is; null for a project's own rate. */
  member_id: string | null;
  /** The project of a project rate or of a member's project rate; null for a member's default rate. */
  project_id: string | null;
  currency: string;
  /** Minor units per hour as stored when the review was made. */
  stored_rate: number;
  /** What was probably typed, in the currency's real minor units. */
  suggested_rate: number;
  status: Generated<"pending" | "kept" | "fixed">;
  resolved_by: string | null;
  resolved_at: number | null;
  created_at: number;
}

export interface RateReviewTables {
  rate_scale_reviews: RateScaleReviewsTable;
}

export type RateScaleReviewRow = Selectable<RateScaleReviewsTable>;

/** Pending reviews with names, for the Rates page; a project the caller cannot see is left out. */
export function listPendingReviews() {
  return tenantDb()
    .selectFrom("rate_scale_reviews as r")
    .leftJoin("members as m", "m.user_id", "r.member_id")
    .leftJoin("projects as p", "p.id", "r.project_id")
    .select([
      "r.id",
      "r.target",
      "r.member_id",
      "r.project_id",
      "r.currency",
      "r.stored_rate",
      "r.suggested_rate",
      "m.name as member_name",
      "p.name as project_name",
    ])
    .where("r.status", "=", "pending")
    .where((eb) => eb.or([eb("r.project_id", "is", null), projectVisible("r.project_id")]))
    .orderBy("r.id")
    .execute();
}

export function findReview(id: number) {
  return tenantDb().selectFrom("rate_scale_reviews").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Pending → kept/fixed once; answers whether this call made the change (a second click changes nothing). */
export async function resolveReview(id: number, status: "kept" | "fixed", by: string | null, now: number): Promise<boolean> {
  const result = await tenantDb()
    .updateTable("rate_scale_reviews")
    .set({ status, resolved_by: by, resolved_at: now })
    .where("id", "=", id)
    .where("status", "=", "pending")
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** The rate as it is now: a review is only applied to the value it was made for. */
export async function currentRate(review: RateScaleReviewRow): Promise<number | null> {
  if (review.target === "project") {
    const row = await tenantDb().selectFrom("projects").select("hourly_rate").where("id", "=", review.project_id!).executeTakeFirst();
    return row?.hourly_rate ?? null;
  }
  const row = await tenantDb()
    .selectFrom("member_rates")
    .select("hourly_rate")
    .where("member_id", "=", review.member_id!)
    .where((eb) => (review.project_id === null ? eb("project_id", "is", null) : eb("project_id", "=", review.project_id)))
    .executeTakeFirst();
  return row?.hourly_rate ?? null;
}

export async function setProjectRate(projectId: string, hourlyRate: number, now: number) {
  await tenantDb().updateTable("projects").set({ hourly_rate: hourlyRate, updated_at: now }).where("id", "=", projectId).execute();
}

/**
 * Unbilled entries that took the wrong-scale rate: same member (or project) and exactly that stored
 * rate, not on any invoice (a draft's entries too are left alone: delete the draft first).
 */
type RateOfReview = Pick<RateScaleReviewRow, "member_id" | "project_id" | "stored_rate">;

function unbilledAtRate(review: RateOfReview) {
  let q = tenantDb().selectFrom("time_entries").where("invoice_id", "is", null).where("hourly_rate", "=", review.stored_rate);
  if (review.member_id !== null) q = q.where("member_id", "=", review.member_id);
  if (review.project_id !== null) q = q.where("project_id", "=", review.project_id);
  return q;
}

export async function countUnbilledAtRate(review: RateOfReview): Promise<number> {
  const row = await unbilledAtRate(review)
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Re-prices those entries at the fixed rate; answers how many. */
export async function repriceUnbilledAtRate(review: RateScaleReviewRow, rate: number, now: number): Promise<number> {
  const ids = (await unbilledAtRate(review).select("id").execute()).map((r) => r.id);
  if (ids.length === 0) return 0;
  await tenantDb().updateTable("time_entries").set({ hourly_rate: rate, updated_at: now }).where("id", "in", ids).execute();
  return ids.length;
}
