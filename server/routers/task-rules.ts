import { findProject } from "../../db/tenant/projects";
import { existingLabelIds } from "../../db/tenant/tasks/labels";
import type { StatusCategory } from "../../db/tenant/tasks/schema";
import { findStatus, firstStatusOf } from "../../db/tenant/tasks/statuses";
import { existingMemberIds, findTask, type TaskDetail } from "../../db/tenant/tasks/tasks";
import type { Permission } from "../permissions/catalogue";
import { renderMarkdown } from "../text/markdown";
import { badRequest, conflict, notFound } from "../trpc/errors";

/** Rules the tasks, requests, comments and activity routers share. */

/** A visible task, or NOT_FOUND "Task not found." for a missing one and a hidden one alike. */
export async function requireTask(id: string): Promise<TaskDetail> {
  const task = await findTask(id);
  if (!task) throw notFound("Task");
  return task;
}

/** A project the caller may see and add work to: hidden answers like missing, archived is refused. */
export async function requireLiveProject(id: string) {
  const project = await findProject(id);
  if (!project) throw notFound("Project");
  if (project.archived_at !== null) throw badRequest("That project is archived; restore it first.");
  return project;
}

export async function requireStatus(id: string, category?: StatusCategory) {
  const status = await findStatus(id);
  if (!status) throw badRequest("That status does not exist in this organisation's workflow.");
  if (category && status.category !== category) throw badRequest(`Choose a status of the "${category}" category.`);
  return status;
}

/** The first status of a category; the workflow rules keep one of each, so this only fails if the file was edited by hand. */
export async function defaultStatus(category: StatusCategory) {
  const status = await firstStatusOf(category);
  if (!status) throw conflict(`The workflow has no "${category}" status; add one in the workflow settings.`);
  return status;
}

export async function requireMembers(ids: readonly string[]) {
  const found = await existingMemberIds(ids);
  if (ids.some((id) => !found.has(id))) throw badRequest("Assignees must be members of this organisation.");
}

export async function requireLabels(ids: readonly string[]) {
  const found = await existingLabelIds(ids);
  if (ids.some((id) => !found.has(id))) throw badRequest("That label does not exist in this organisation.");
}

/** What the caller may do with a task: the UI shows only those controls (the procedures still check). */
export function taskAbilities(permissions: ReadonlySet<Permission>) {
  return {
    update: permissions.has("task.update"),
    move: permissions.has("task.move"),
    assign: permissions.has("task.assign"),
    delete: permissions.has("task.delete"),
    triage: permissions.has("request.triage"),
    comment: permissions.has("comment.create"),
    readComments: permissions.has("comment.read"),
  };
}

/** A task as `tasks.get` answers: its description rendered to safe HTML beside the markdown. */
export function taskView(task: TaskDetail, permissions: ReadonlySet<Permission>) {
  return { ...task, descriptionHtml: renderMarkdown(task.description), can: taskAbilities(permissions) };
}

/** Every task and comment audit row names its project and task: the timelines find them by it. */
export const taskDetail = (task: { id: string; projectId: string }, extra: Record<string, unknown> = {}) => ({
  project_id: task.projectId,
  task_id: task.id,
  ...extra,
});
