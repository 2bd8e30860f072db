import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { ClientForm } from "~/components/client-form";
import { attempt, readForm, formObject, load } from "~/lib/api.server";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const [client, projects] = await load(request, () =>
    Promise.all([
      context.api.clients.get({ org, id: params.id! }),
      context.api.projects.list({ org, clientId: params.id!, includeArchived: true, limit: 200 }),
    ]),
  );
  return { org, client, projects };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const result = await attempt(request, () =>
    context.api.clients.update({
      org: params.slug!,
      id: params.id!,
      name: f.name ?? "",
      contactEmail: f.contactEmail,
      notes: f.notes ?? "",
    }),
  );
  if (result.ok) throw redirect(`/o/${params.slug}/clients`);
  return result;
}

export default function EditClient() {
  const { org, client, projects } = useLoaderData<typeof loader>();
  return (
    <div>
      <h1>{client.name}</h1>
      {client.archived_at && <p className="notice">This client is archived.</p>}
      <ClientForm result={useActionData<typeof action>()} client={client} submitLabel="Save" />
      <h2>Projects</h2>
      {projects.length === 0 ? (
        <p className="muted">
          No projects. <Link to={`/o/${org}/projects/new?client=${client.id}`}>Create one</Link>
        </p>
      ) : (
        <ul>
          {projects.map((p) => (
            <li key={p.id}>
              <Link to={`/o/${org}/projects/${p.id}`}>{p.name}</Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
