import type { LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { load } from "~/lib/api.server";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const [clients, projects] = await load(request, () =>
    Promise.all([context.api.clients.list({ org }), context.api.projects.list({ org, limit: 200 })]),
  );
  return { org, clients: clients.length, projects: projects.length, active: projects.filter((p) => p.status === "active").length };
}

export default function Overview() {
  const d = useLoaderData<typeof loader>();
  return (
    <div>
      <div className="stats">
        <div className="stat">
          <span className="muted">Clients</span>
          <strong>{d.clients}</strong>
          <Link to={`/o/${d.org}/clients`}>See clients</Link>
        </div>
        <div className="stat">
          <span className="muted">Projects</span>
          <strong>{d.projects}</strong>
          <Link to={`/o/${d.org}/projects`}>See projects</Link>
        </div>
        <div className="stat">
          <span className="muted">Active projects</span>
          <strong>{d.active}</strong>
        </div>
      </div>
    </div>
  );
}
