import { tenantDb } from "../context";
import { projectVisible } from "../visibility";

/** Comments joined to their task, so every read filters by the task's project visibility. */
function visibleComments() {
  return tenantDb()
    .selectFrom("comments")
    .innerJoin("tasks", "tasks.id", "comments.task_id")
    .leftJoin("members as author", "author.user_id", "comments.author_id")
    .select([
      "comments.id",
      "comments.task_id",
      "tasks.project_id",
      "comments.author_id",
      "author.name as author_name",
      "comments.body",
      "comments.created_at",
      "comments.updated_at",
      "comments.edited_at",
    ])
    .where(projectVisible("tasks.project_id"));
}

export type CommentView = Awaited<ReturnType<ReturnType<typeof visibleComments>["execute"]>>[number];

/** A task's comments, oldest first (a conversation reads down). */
export function listComments(taskId: string, page: { limit: number; offset: number }) {
  return visibleComments()
    .where("comments.task_id", "=", taskId)
    .orderBy("comments.created_at")
    .orderBy("comments.id")
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

export async function countComments(taskId: string): Promise<number> {
  const row = await tenantDb()
    .selectFrom("comments")
    .innerJoin("tasks", "tasks.id", "comments.task_id")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("comments.task_id", "=", taskId)
    .where(projectVisible("tasks.project_id"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A comment the caller may see, or undefined: one on a hidden project's task answers like a missing one. */
export function findComment(id: string) {
  return visibleComments().where("comments.id", "=", id).executeTakeFirst();
}

export async function insertComment(row: { id: string; taskId: string; authorId: string; body: string }, now: number): Promise<void> {
  await tenantDb()
    .insertInto("comments")
    .values({ id: row.id, task_id: row.taskId, author_id: row.authorId, body: row.body, created_at: now, updated_at: now })
    .execute();
}

export async function updateCommentBody(id: string, body: string, now: number): Promise<void> {
  await tenantDb().updateTable("comments").set({ body, updated_at: now, edited_at: now }).where("id", "=", id).execute();
}

export async function deleteComment(id: string): Promise<void> {
  await tenantDb().deleteFrom("comments").where("id", "=", id).execute();
}
