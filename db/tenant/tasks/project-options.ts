import { tenantDb } from "../context";
import { projectVisible } from "../visibility";

/**
 * Live projects the caller may see, by name: the pickers of the task forms and filters. (The projects
 * list needs project.read; a member or client contact sees their shared projects only through this.)
 */
export function visibleProjectOptions() {
  return tenantDb()
    .selectFrom("projects")
    .innerJoin("clients", "clients.id", "projects.client_id")
    .select(["projects.id", "projects.name", "clients.name as clientName"])
    .where("projects.archived_at", "is", null)
    .where(projectVisible("projects.id"))
    .orderBy("projects.name")
    .orderBy("projects.id")
    .limit(1000)
    .execute();
}
