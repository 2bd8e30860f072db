import { sql } from "kysely";
import { tenantDb } from "../context";
import { projectVisible } from "../visibility";

/** Projects the caller may log time on: visible and not archived, for the pickers. */
export function loggableProjects() {
  return tenantDb()
    .selectFrom("projects")
    .innerJoin("clients", "clients.id", "projects.client_id")
    .select(["projects.id", "projects.name", "clients.name as client_name"])
    .where("projects.archived_at", "is", null)
    .where(projectVisible("projects.id"))
    .orderBy("clients.name")
    .orderBy("projects.name")
    .limit(1000)
    .execute();
}

/**
 * Whether a task belongs to a project. The tasks domain owns its table; until its migration exists
 * in a file there is nothing to check against, and the id is taken as given. Swap this for the tasks
 * domain's own lookup once it lands.
 */
export async function taskInProject(taskId: string, projectId: string): Promise<boolean> {
  let row: { project_id: string } | undefined;
  try {
    row = (await sql<{ project_id: string }>`select project_id from tasks where id = ${taskId}`.execute(tenantDb())).rows[0];
  } catch (error) {
    if (error instanceof Error && /no such table: tasks/.test(error.message)) return true;
    throw error;
  }
  return row?.project_id === projectId;
}
