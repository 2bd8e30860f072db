import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { ProjectForm } from "~/components/project-form";
import { attempt, formObject, load } from "~/lib/api.server";
import { projectInput } from "~/lib/project-input.server";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const [project, clients] = await load(request, () =>
    Promise.all([context.api.projects.get({ org, id: params.id! }), context.api.clients.list({ org })]),
  );
  return { project, clients };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const f = formObject(await request.formData());
  const org = params.slug!;
  const id = params.id!;
  if (f.intent === "archive" || f.intent === "restore") {
    const result = await attempt(request, () => context.api.projects.setArchived({ org, id, archived: f.intent === "archive" }));
    return result.ok ? redirect(`/o/${org}/projects/${id}`) : result;
  }
  const parsed = projectInput(f);
  if (!parsed.ok) return parsed;
  const result = await attempt(request, () => context.api.projects.update({ org, id, ...parsed.input }));
  if (result.ok) throw redirect(`/o/${org}/projects`);
  return result;
}

export default function EditProject() {
  const { project, clients } = useLoaderData<typeof loader>();
  const archived = project.archived_at !== null;
  return (
    <div>
      <div className="toolbar">
        <h1>{project.name}</h1>
        <Form method="post">
          <input type="hidden" name="intent" value={archived ? "restore" : "archive"} />
          <button type="submit" className="secondary">{archived ? "Restore project" : "Archive project"}</button>
        </Form>
      </div>
      {archived && <p className="notice">This project is archived.</p>}
      <ProjectForm result={useActionData<typeof action>()} clients={clients} project={project} submitLabel="Save" />
    </div>
  );
}
