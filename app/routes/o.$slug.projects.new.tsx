import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { ProjectForm } from "~/components/project-form";
import { attempt, readForm, formObject, load, requestLocale } from "~/lib/api.server";
import { projectInput } from "~/lib/project-input.server";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const clients = await load(request, () => context.api.clients.list({ org: params.slug! }));
  return { clients, defaultClientId: new URL(request.url).searchParams.get("client") ?? undefined };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  // The body first: a post that is no form is refused (400) before anything else is asked.
  const form = formObject(await readForm(request));
  const me = await load(request, () => context.api.members.me({ org: params.slug! }));
  const parsed = projectInput(form, { currency: me.currency, locale: requestLocale(request) });
  if (!parsed.ok) return parsed;
  const result = await attempt(request, () => context.api.projects.create({ org: params.slug!, ...parsed.input }));
  if (result.ok) throw redirect(`/o/${params.slug}/projects`);
  return result;
}

export default function NewProject() {
  const { clients, defaultClientId } = useLoaderData<typeof loader>();
  return (
    <div>
      <h1>New project</h1>
      {clients.length === 0 && <p className="notice">Create a client first: every project belongs to one.</p>}
      <ProjectForm
        result={useActionData<typeof action>()}
        clients={clients}
        defaultClientId={defaultClientId}
        submitLabel="Create project"
      />
    </div>
  );
}
