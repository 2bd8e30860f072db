import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { FormMessage } from "~/components/form";
import { LabelChips, People, PriorityBadge } from "~/components/task-bits";
import { attempt, readForm, formObject, load } from "~/lib/api.server";

export const meta: MetaFunction = () => [{ title: "Board · opslayer" }];

const PER_COLUMN = 50;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const projectId = new URL(request.url).searchParams.get("projectId") || undefined;
  const [board, projects] = await load(request, () =>
    Promise.all([context.api.tasks.board({ org, projectId, perColumn: PER_COLUMN }), context.api.tasks.projects({ org })]),
  );
  return { org, board, projects, projectId };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const result = await attempt(request, () =>
    context.api.tasks.move({ org: params.slug!, id: f.taskId ?? "", statusId: f.statusId ?? "" }),
  );
  // Back to the same board (and project filter) after a move; a refusal is shown above the columns.
  if (result.ok) throw redirect(new URL(request.url).pathname + new URL(request.url).search);
  return result;
}

export default function Board() {
  const { org, board, projects, projectId } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const statuses = board.columns.map((c) => c.status);
  return (
    <div>
      <div className="toolbar">
        <h1>Board</h1>
        <span>
          <Link to={`/o/${org}/tasks${projectId ? `?projectId=${projectId}` : ""}`}>List view</Link> ·{" "}
          <Link to={`/o/${org}/settings/workflow`}>Workflow settings</Link> ·{" "}
          <Link to={`/o/${org}/tasks/new${projectId ? `?project=${projectId}` : ""}`} className="button">
            New task
          </Link>
        </span>
      </div>
      <Form method="get" className="toolbar">
        <select name="projectId" defaultValue={params.get("projectId") ?? ""} aria-label="Project">
          <option value="">All projects I can see</option>
          {projects.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        <button type="submit" className="secondary">
          Show
        </button>
      </Form>
      <FormMessage result={useActionData<typeof action>()} />
      <div
        style={{ display: "grid", gridTemplateColumns: `repeat(${board.columns.length}, minmax(220px, 1fr))`, gap: 12, overflowX: "auto" }}
      >
        {board.columns.map((col) => (
          <section
            key={col.status.id}
            aria-label={col.status.name}
            style={{ background: "#eef1f5", borderRadius: 8, padding: 8, borderTop: `4px solid ${col.status.color}` }}
          >
            <h2 style={{ margin: "4px 0 8px", fontSize: "1rem" }}>
              {col.status.name} <span className="muted">{col.total}</span>
            </h2>
            {col.tasks.map((t) => (
              <article key={t.id} className="card" style={{ padding: 10, marginBottom: 8 }}>
                <Link to={`/o/${org}/tasks/${t.id}`}>{t.title}</Link>
                <div className="muted" style={{ fontSize: "0.85rem" }}>
                  {t.kind === "request" && "Request · "}
                  {!projectId && `${t.projectName} · `}
                  <PriorityBadge priority={t.priority} />
                  {t.dueDate && ` · due ${t.dueDate}`}
                </div>
                <div style={{ fontSize: "0.85rem" }}>
                  <People people={t.assignees} /> <LabelChips labels={t.labels} />
                </div>
                {board.can.move && (
                  <Form method="post" style={{ display: "flex", gap: 4, marginTop: 6 }}>
                    <input type="hidden" name="taskId" value={t.id} />
                    <select name="statusId" defaultValue={t.status.id} aria-label={`Move “${t.title}” to`}>
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
              </article>
            ))}
            {col.total > col.tasks.length && (
              <Link
                to={`/o/${org}/tasks?statusId=${col.status.id}${projectId ? `&projectId=${projectId}` : ""}&sort=priority`}
                className="muted"
              >
                {col.total - col.tasks.length} more…
              </Link>
            )}
          </section>
        ))}
      </div>
    </div>
  );
}
