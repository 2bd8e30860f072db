/** Shared by the task pages (browser-safe: no server imports). */

export const PRIORITY_LABEL = { low: "Low", normal: "Normal", high: "High", urgent: "Urgent" } as const;
export type Priority = keyof typeof PRIORITY_LABEL;

export const CATEGORY_LABEL = { todo: "To do", doing: "Doing", done: "Done" } as const;

export const SORT_LABEL = {
  updated: "Recently updated",
  created: "Newest",
  due: "Due date",
  priority: "Priority",
  title: "Title",
} as const;

/** The page's URL with one parameter changed (and the page reset unless it is the page itself). */
export function withQuery(params: URLSearchParams, changes: Record<string, string | null>) {
  const next = new URLSearchParams(params);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === "") next.delete(k);
    else next.set(k, v);
  }
  if (!("page" in changes)) next.delete("page");
  const qs = next.toString();
  return qs ? `?${qs}` : "?";
}

/** A task action's actor and verb, for timelines. */
export function describeActivity(e: { action: string; detail: Record<string, unknown> }) {
  const d = e.detail;
  switch (e.action) {
    case "task.create":
      return `created the task${typeof d.title === "string" && d.title ? ` “${d.title}”` : ""}`;
    case "task.update":
      return `edited ${Array.isArray(d.fields) ? d.fields.join(", ") : "the task"}`;
    case "task.move":
      return `moved it from ${String(d.from_name ?? d.from)} to ${String(d.to_name ?? d.to)}`;
    case "task.assign":
      return "changed the assignees";
    case "task.delete":
      return `deleted the task${typeof d.title === "string" && d.title ? ` “${d.title}”` : ""}`;
    case "request.create":
      return `raised the request${typeof d.title === "string" && d.title ? ` “${d.title}”` : ""}`;
    case "request.accept":
      return "accepted the request";
    case "request.decline":
      return `declined the request${typeof d.reason === "string" && d.reason ? `: ${d.reason}` : ""}`;
    case "comment.create":
      return "commented";
    case "comment.update":
      return "edited a comment";
    case "comment.delete":
      return d.moderated ? "removed a comment" : "deleted a comment";
    default:
      return e.action;
  }
}
