import { tenantDb } from "../context";
import { projectVisible } from "../visibility";

export type RateSource = "member-project" | "project" | "member" | "none";

/**
 * The hourly rate (minor units) an entry of `memberId` on `projectId` takes, most specific first:
 *   1. the member's rate on that project   (member_rates row with that project_id)
 *   2. the project's rate                  (projects.hourly_rate, when above 0: 0 means "not set")
 *   3. the member's default rate           (member_rates row with project_id null)
 *   4. 0
 * The project rate beats the member's default because a project's price is agreed with the client;
 * a member's default only fills in for projects that have no price.
 */
export async function resolveRate(memberId: string, projectId: string): Promise<{ hourlyRate: number; source: RateSource }> {
  const row = await tenantDb()
    .selectFrom("projects")
    .select((eb) => [
      "projects.hourly_rate as project",
      eb
        .selectFrom("member_rates")
        .select("hourly_rate")
        .where("member_id", "=", memberId)
        .where("project_id", "=", projectId)
        .as("memberProject"),
      eb.selectFrom("member_rates").select("hourly_rate").where("member_id", "=", memberId).where("project_id", "is", null).as("member"),
    ])
    .where("projects.id", "=", projectId)
    .executeTakeFirst();
  if (row?.memberProject != null) return { hourlyRate: row.memberProject, source: "member-project" };
  if (row && row.project > 0) return { hourlyRate: row.project, source: "project" };
  if (row?.member != null) return { hourlyRate: row.member, source: "member" };
  return { hourlyRate: 0, source: "none" };
}

/** A member who can track time: in this organisation and not a client contact. */
export function findTrackingMember(userId: string) {
  return tenantDb()
    .selectFrom("members")
    .select(["user_id", "name", "email", "role"])
    .where("user_id", "=", userId)
    .where("client_id", "is", null)
    .executeTakeFirst();
}

/** Members with their default rates, and per-project rates on projects the caller may see. */
export async function listRates() {
  const db = tenantDb();
  const members = await db
    .selectFrom("members")
    .leftJoin("member_rates", (j) => j.onRef("member_rates.member_id", "=", "members.user_id").on("member_rates.project_id", "is", null))
    .select(["members.user_id", "members.name", "members.email", "members.role", "member_rates.hourly_rate as default_rate"])
    .where("members.client_id", "is", null)
    .orderBy("members.name")
    .execute();
  const projectRates = await db
    .selectFrom("member_rates")
    .innerJoin("projects", "projects.id", "member_rates.project_id")
    .innerJoin("members", "members.user_id", "member_rates.member_id")
    .select([
      "member_rates.member_id",
      "members.name as member_name",
      "member_rates.project_id",
      "projects.name as project_name",
      "member_rates.hourly_rate",
    ])
    .where(projectVisible("member_rates.project_id"))
    .orderBy("members.name")
    .orderBy("projects.name")
    .execute();
  const projects = await db
    .selectFrom("projects")
    .select(["id", "name", "hourly_rate"])
    .where("archived_at", "is", null)
    .where(projectVisible("projects.id"))
    .orderBy("name")
    .limit(1000)
    .execute();
  return { members, projectRates: projectRates.map((r) => ({ ...r, project_id: r.project_id! })), projects };
}

export function findRate(memberId: string, projectId: string | null) {
  return tenantDb()
    .selectFrom("member_rates")
    .selectAll()
    .where("member_id", "=", memberId)
    .$if(projectId === null, (q) => q.where("project_id", "is", null))
    .$if(projectId !== null, (q) => q.where("project_id", "=", projectId))
    .executeTakeFirst();
}

/**
 * Update, else insert. The unique index is on an expression (coalesce(project_id, '')), which an
 * upsert's conflict target cannot name portably; inside the write transaction this is just as safe.
 */
export async function setRate(memberId: string, projectId: string | null, hourlyRate: number, now: number) {
  const updated = await tenantDb()
    .updateTable("member_rates")
    .set({ hourly_rate: hourlyRate, updated_at: now })
    .where("member_id", "=", memberId)
    .$if(projectId === null, (q) => q.where("project_id", "is", null))
    .$if(projectId !== null, (q) => q.where("project_id", "=", projectId))
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) > 0) return;
  await tenantDb()
    .insertInto("member_rates")
    .values({ member_id: memberId, project_id: projectId, hourly_rate: hourlyRate, updated_at: now })
    .execute();
}

export async function clearRate(memberId: string, projectId: string | null) {
  const deleted = await tenantDb()
    .deleteFrom("member_rates")
    .where("member_id", "=", memberId)
    .$if(projectId === null, (q) => q.where("project_id", "is", null))
    .$if(projectId !== null, (q) => q.where("project_id", "=", projectId))
    .executeTakeFirst();
  return Number(deleted.numDeletedRows) > 0;
}
