import { Form } from "@remix-run/react";
import { formatDateTime } from "~/lib/format";
import { FormMessage } from "./form";
import { PostButton } from "./post-button";
import { RenderedMarkdown } from "./task-bits";

interface CommentItem {
  id: string;
  authorName: string | null;
  bodyHtml: string;
  body: string;
  createdAt: number;
  editedAt: number | null;
  mine: boolean;
  canEdit: boolean;
  canDelete: boolean;
}

/** A task's conversation: each comment with its own edit/delete controls, and a box to add one. */
export function TaskComments({ comments, canComment, result }: { comments: CommentItem[]; canComment: boolean; result: unknown }) {
  return (
    <section aria-label="Comments">
      <h2>Comments</h2>
      <FormMessage result={result} />
      {comments.length === 0 && <p className="muted">No comments yet.</p>}
      {comments.map((c) => (
        <article key={c.id} className="card">
          <p className="muted">
            <strong>{c.authorName ?? "Former member"}</strong> · {formatDateTime(c.createdAt)}
            {c.editedAt !== null && ` · edited ${formatDateTime(c.editedAt)}`}
          </p>
          <RenderedMarkdown html={c.bodyHtml} />
          {(c.canEdit || c.canDelete) && (
            <div className="toolbar">
              {c.canEdit ? (
                <details>
                  <summary>Edit</summary>
                  <Form method="post">
                    <input type="hidden" name="intent" value="comment-update" />
                    <input type="hidden" name="commentId" value={c.id} />
                    <div className="field">
                      <textarea name="body" defaultValue={c.body} required maxLength={10000} aria-label="Comment" />
                    </div>
                    <button type="submit">Save comment</button>
                  </Form>
                </details>
              ) : (
                <span />
              )}
              {c.canDelete && (
                <PostButton fields={{ intent: c.mine ? "comment-delete" : "comment-delete-any", commentId: c.id }}>Delete</PostButton>
              )}
            </div>
          )}
        </article>
      ))}
      {canComment && (
        // Keyed by the count, so the box empties once the new comment appears.
        <Form key={comments.length} method="post" className="card">
          <input type="hidden" name="intent" value="comment-create" />
          <div className="field">
            <label htmlFor="f-comment">Add a comment</label>
            <textarea id="f-comment" name="body" required maxLength={10000} />
            <small className="hint">Markdown works here.</small>
          </div>
          <button type="submit">Comment</button>
        </Form>
      )}
    </section>
  );
}
