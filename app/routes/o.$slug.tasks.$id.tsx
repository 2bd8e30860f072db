import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Attachments, FILE_DELETE_INTENT } from "~/components/attachments";
import { FormMessage } from "~/components/form";
import { LabelChips, People, PriorityBadge, RenderedMarkdown, StatusBadge } from "~/components/task-bits";
import { TaskComments } from "~/components/task-comments";
import { TaskForm } from "~/components/task-form";
import { TaskTimeline } from "~/components/task-timeline";
import { attempt, readForm, formObject, load } from "~/lib/api.server";
import { deleteAttachmentAction, loadAttachments } from "~/lib/attachments.server";
import { formatDateTime, formatHours } from "~/lib/format";
import { formStrings, taskInput } from "~/lib/task-input.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.task.title ?? "Task"} · opslayer` }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const id = params.id!;
  const [task, statuses, labels, activity] = await load(request, () =>
    Promise.all([
      context.api.tasks.get({ org, id }),
      context.api.workflow.list({ org }),
      context.api.labels.list({ org }),
      context.api.activity.task({ org, taskId: id }),
    ]),
  );
  const comments = task.can.readComments ? await load(request, () => context.api.comments.list({ org, taskId: id, limit: 200 })) : null;
  const assignable = task.can.assign ? await context.api.tasks.assignable({ org }).catch(() => null) : null;
  // Null when the role lacks file.read: the attachments section is left out.
  const files = await load(request, () => loadAttachments(context.api, org, "task", id));
  return { org, task, statuses, labels, activity, comments, assignable, files };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const org = params.slug!;
  const id = params.id!;
  const form = await readForm(request);
  const f = formObject(form);
  const api = context.api;
  const run = async (intent: string, call: () => Promise<unknown>) => ({ intent, ...(await attempt(request, call)) });
  switch (f.intent) {
    case "update": {
      const parsed = taskInput(form);
      if (!parsed.ok) return { intent: "update", ...parsed };
      return run("update", () => api.tasks.update({ org, id, ...parsed.input }));
    }
    case "move":
      return run("status", () => api.tasks.move({ org, id, statusId: f.statusId ?? "" }));
    case "assign":
      return run("status", () => api.tasks.assign({ org, id, assigneeIds: formStrings(form, "assigneeIds") }));
    case "accept":
      return run("status", () => api.requests.triage({ org, id, decision: "accept", statusId: f.statusId || undefined }));
    case "decline":
      return run("status", () => api.requests.triage({ org, id, decision: "decline", reason: f.reason ?? "" }));
    case "delete": {
      const result = await run("status", () => api.tasks.delete({ org, id }));
      if (result.ok) throw redirect(`/o/${org}/tasks`);
      return result;
    }
    case FILE_DELETE_INTENT:
      return deleteAttachmentAction(request, api, org, f.fileId);
    case "comment-create":
      return run("comment", () => api.comments.create({ org, taskId: id, body: f.body ?? "" }));
    case "comment-update":
      return run("comment", () => api.comments.update({ org, id: f.commentId ?? "", body: f.body ?? "" }));
    case "comment-delete":
      return run("comment", () => api.comments.delete({ org, id: f.commentId ?? "" }));
    case "comment-delete-any":
      return run("comment", () => api.comments.deleteAny({ org, id: f.commentId ?? "" }));
    default:
      return { intent: "status", ok: false as const, message: "Unknown action.", fieldErrors: {} };
  }
}

export default function TaskDetail() {
  const { org, task, statuses, labels, activity, comments, assignable, files } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const about = (intent: string) => (result?.intent === intent ? result : undefined);
  const openRequest = task.kind === "request" && task.status.category !== "done";
  const assigned = new Set(task.assignees.map((a) => a.userId));
  return (
    <div>
      <p className="muted">
        <Link to={`/o/${org}/tasks?projectId=${task.projectId}`}>{task.projectName}</Link> · {task.kind === "request" ? "Request" : "Task"}
        {task.createdByName && ` raised by ${task.createdByName}`} · created {formatDateTime(task.createdAt)}
      </p>
      <div className="toolbar">
        <h1>{task.title}</h1>
        {task.can.delete && (
          <Form method="post">
            <input type="hidden" name="intent" value="delete" />
            <button type="submit" className="danger">
              Delete task
            </button>
          </Form>
        )}
      </div>
      <FormMessage result={about("status")} />
      <div className="stats">
        <div className="stat">
          Status
          <strong style={{ fontSize: "1rem" }}>
            <StatusBadge status={task.status} />
          </strong>
          {task.can.move && (
            <Form method="post" className="row">
              <input type="hidden" name="intent" value="move" />
              <select name="statusId" defaultValue={task.status.id} aria-label="Move to status">
                {statuses.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </select>
              <button type="submit" className="secondary">
                Move
              </button>
            </Form>
          )}
        </div>
        <div className="stat">
          Priority{" "}
          <strong style={{ fontSize: "1rem" }}>
            <PriorityBadge priority={task.priority} />
          </strong>
        </div>
        <div className="stat">
          Due <strong style={{ fontSize: "1rem" }}>{task.dueDate ?? "—"}</strong>
        </div>
        <div className="stat">
          Estimate <strong style={{ fontSize: "1rem" }}>{formatHours(task.estimateSeconds)}</strong>
        </div>
      </div>
      <p>
        <LabelChips labels={task.labels} />
      </p>
      {task.declineReason && (
        <p className="notice">
          Declined: <span className="reason">{task.declineReason}</span>
        </p>
      )}
      {openRequest && task.can.triage && (
        <div className="card">
          <h2>Triage this request</h2>
          <Form method="post" className="row">
            <input type="hidden" name="intent" value="accept" />
            <select name="statusId" defaultValue="" aria-label="Accept into status">
              <option value="">First to-do status</option>
              {statuses
                .filter((s) => s.category === "todo")
                .map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
            </select>
            <button type="submit">Accept as a task</button>
          </Form>
          <Form method="post">
            <input type="hidden" name="intent" value="decline" />
            <div className="field">
              <label htmlFor="f-reason">Reason for declining</label>
              <textarea id="f-reason" name="reason" required maxLength={2000} />
            </div>
            <button type="submit" className="secondary">
              Decline
            </button>
          </Form>
        </div>
      )}
      <section aria-label="Description" className="card">
        <RenderedMarkdown html={task.descriptionHtml} empty={<p className="muted">No description.</p>} />
      </section>
      <section aria-label="Assignees">
        <h2>Assignees</h2>
        <p>
          <People people={task.assignees} />
        </p>
        {task.can.assign && assignable && (
          <Form method="post" className="card">
            <input type="hidden" name="intent" value="assign" />
            {assignable.map((m) => (
              <label key={m.userId} style={{ marginRight: 12 }}>
                <input type="checkbox" name="assigneeIds" value={m.userId} defaultChecked={assigned.has(m.userId)} /> {m.name}
              </label>
            ))}
            <button type="submit" className="secondary">
              Save assignees
            </button>
          </Form>
        )}
      </section>
      {task.can.update && (
        <details>
          <summary>Edit task</summary>
          <TaskForm result={about("update")} task={task} labels={labels} intent="update" submitLabel="Save task" />
        </details>
      )}
      {files && <Attachments org={org} targetType="task" targetId={task.id} files={files} result={about("file")} />}
      {comments && <TaskComments comments={comments.items} canComment={task.can.comment} result={about("comment")} />}
      <TaskTimeline entries={activity.items} />
    </div>
  );
}
