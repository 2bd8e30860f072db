import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { TaskForm } from "~/components/task-form";
import { attempt, readForm, formText, load } from "~/lib/api.server";
import { taskInput } from "~/lib/task-input.server";

export const meta: MetaFunction = () => [{ title: "New task · opslayer" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const url = new URL(request.url);
  const [projects, statuses, labels] = await load(request, () =>
    Promise.all([context.api.tasks.projects({ org }), context.api.workflow.list({ org }), context.api.labels.list({ org })]),
  );
  // Assigning is a permission of its own: without it the form simply has no assignee field.
  const assignable = await context.api.tasks.assignable({ org }).catch(() => null);
  return {
    org,
    projects,
    statuses,
    labels,
    assignable,
    request: url.searchParams.get("kind") === "request",
    defaultProjectId: url.searchParams.get("project") ?? undefined,
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const org = params.slug!;
  const form = await readForm(request);
  const parsed = taskInput(form);
  if (!parsed.ok) return parsed;
  const projectId = formText(form, "projectId");
  const { title, description, priority, dueDate } = parsed.input;
  const result =
    form.get("intent") === "request"
      ? await attempt(request, () => context.api.requests.raise({ org, projectId, title, description, priority, dueDate }))
      : await attempt(request, () =>
          context.api.tasks.create({
            org,
            projectId,
            ...parsed.input,
            statusId: formText(form, "statusId") || undefined,
            assigneeIds: parsed.assigneeIds,
          }),
        );
  if (result.ok) throw redirect(`/o/${org}/tasks/${result.data.id}`);
  return result;
}

export default function NewTask() {
  const data = useLoaderData<typeof loader>();
  const base = `/o/${data.org}/tasks/new`;
  return (
    <div>
      <div className="toolbar">
        <h1>{data.request ? "Raise a request" : "New task"}</h1>
        <Link to={data.request ? base : `${base}?kind=request`}>{data.request ? "Create a task instead" : "Raise a request instead"}</Link>
      </div>
      {data.projects.length === 0 && <p className="notice">There is no open project you can add work to.</p>}
      {data.request && <p className="muted">A request is triaged by the team: accepted as a task, or declined with a reason.</p>}
      <TaskForm
        result={useActionData<typeof action>()}
        projects={data.projects}
        defaultProjectId={data.defaultProjectId}
        statuses={data.request ? undefined : data.statuses}
        labels={data.labels}
        assignable={data.assignable}
        request={data.request}
        intent={data.request ? "request" : "task"}
        submitLabel={data.request ? "Raise request" : "Create task"}
      />
    </div>
  );
}
