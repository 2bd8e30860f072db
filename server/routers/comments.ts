import { z } from "zod";
import { inTenantTransaction } from "../../db/tenant/context";
import {
  countComments,
  deleteComment,
  findComment,
  insertComment,
  listComments,
  updateCommentBody,
  type CommentView,
} from "../../db/tenant/tasks/comments";
import type { Permission } from "../permissions/catalogue";
import { audit } from "../audit/audit";
import { newId } from "../auth/tokens";
import { renderMarkdown } from "../text/markdown";
import { forbidden, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import type { Actor } from "../trpc/tenant-context";
import { orgInput } from "./inputs";
import * as I from "./task-inputs";
import { requireTask, taskDetail } from "./task-rules";

/** A visible comment, or NOT_FOUND: a comment on a hidden project's task answers like a missing one. */
async function requireComment(id: string) {
  const comment = await findComment(id);
  if (!comment) throw notFound("Comment");
  return comment;
}

function requireOwn(comment: CommentView, actor: Actor, what: string) {
  if (comment.author_id !== actor.id) throw forbidden(`You can ${what} only your own comments.`);
}

function commentView(c: CommentView, actor: Actor, permissions: ReadonlySet<Permission>) {
  const mine = c.author_id === actor.id;
  return {
    id: c.id,
    taskId: c.task_id,
    authorId: c.author_id,
    authorName: c.author_name ?? null,
    body: c.body,
    bodyHtml: renderMarkdown(c.body),
    createdAt: c.created_at,
    updatedAt: c.updated_at,
    editedAt: c.edited_at,
    mine,
    canEdit: mine && permissions.has("comment.update.own"),
    canDelete: (mine && permissions.has("comment.delete.own")) || permissions.has("comment.delete.all"),
  };
}

const commentTarget = (id: string) => ({ type: "comment", id });
const detailOf = (c: CommentView) => taskDetail({ id: c.task_id, projectId: c.project_id }, { author_id: c.author_id });

export const commentsRouter = router({
  list: tenantProcedure
    .meta({ permission: "comment.read" })
    .input(orgInput.extend({ taskId: I.taskId, limit: z.number().int().min(1).max(200).default(100), offset: I.offsetPage.offset }))
    .query(async ({ ctx, input }) => {
      await requireTask(input.taskId);
      const rows = await listComments(input.taskId, input);
      return { items: rows.map((c) => commentView(c, ctx.actor, ctx.permissions)), total: await countComments(input.taskId) };
    }),

  create: tenantProcedure
    .meta({ permission: "comment.create" })
    .input(orgInput.extend({ taskId: I.taskId, body: I.commentBody }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const task = await requireTask(input.taskId);
        const id = newId("m");
        await insertComment({ id, taskId: task.id, authorId: ctx.actor.id, body: input.body }, Date.now());
        await audit(ctx.actor, "comment.create", commentTarget(id), taskDetail(task));
        return commentView(await requireComment(id), ctx.actor, ctx.permissions);
      }),
    ),

  update: tenantProcedure
    .meta({ permission: "comment.update.own" })
    .input(orgInput.extend({ id: I.commentId, body: I.commentBody }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const comment = await requireComment(input.id);
        requireOwn(comment, ctx.actor, "edit");
        await updateCommentBody(input.id, input.body, Date.now());
        await audit(ctx.actor, "comment.update", commentTarget(input.id), detailOf(comment));
        return commentView(await requireComment(input.id), ctx.actor, ctx.permissions);
      }),
    ),

  /** Deletes one of the caller's own comments. */
  delete: tenantProcedure
    .meta({ permission: "comment.delete.own" })
    .input(orgInput.extend({ id: I.commentId }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const comment = await requireComment(input.id);
        requireOwn(comment, ctx.actor, "delete");
        await deleteComment(input.id);
        await audit(ctx.actor, "comment.delete", commentTarget(input.id), detailOf(comment));
        return { id: input.id, deleted: true };
      }),
    ),

  /** Moderation: deletes anyone's comment (on a task the caller can see). */
  deleteAny: tenantProcedure
    .meta({ permission: "comment.delete.all" })
    .input(orgInput.extend({ id: I.commentId }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const comment = await requireComment(input.id);
        await deleteComment(input.id);
        await audit(ctx.actor, "comment.delete", commentTarget(input.id), {
          ...detailOf(comment),
          moderated: comment.author_id !== ctx.actor.id,
        });
        return { id: input.id, deleted: true };
      }),
    ),
});
