import type { LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { load } from "~/lib/api.server";
import { formatHours, formatMoney, PROJECT_STATUS_LABEL } from "~/lib/format";
import { useOrgAccess } from "~/lib/permissions";

const PAGE = 50;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const page = Math.max(0, Number.parseInt(url.searchParams.get("page") ?? "0", 10) || 0);
  const projects = await load(request, () =>
    context.api.projects.list({
      org: params.slug!,
      includeArchived: url.searchParams.get("archived") === "1",
      search: url.searchParams.get("q") || undefined,
      limit: PAGE + 1,
      offset: page * PAGE,
    }),
  );
  return { projects: projects.slice(0, PAGE), page, hasMore: projects.length > PAGE };
}

export default function Projects() {
  const { projects, page, hasMore } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const access = useOrgAccess();
  const money = (minor: number) => formatMoney(minor, access.currency);
  const pageLink = (p: number) => {
    const next = new URLSearchParams(params);
    next.set("page", String(p));
    return `?${next}`;
  };
  return (
    <div>
      <div className="toolbar">
        <h1>Projects</h1>
        {access.can("project.create") && (
          <Link to="new" className="button">
            New project
          </Link>
        )}
      </div>
      <Form method="get" className="toolbar">
        <input name="q" type="search" placeholder="Search projects" defaultValue={params.get("q") ?? ""} aria-label="Search projects" />
        <label>
          <input type="checkbox" name="archived" value="1" defaultChecked={params.get("archived") === "1"} /> Show archived
        </label>
        <button type="submit" className="secondary">
          Filter
        </button>
      </Form>
      {projects.length === 0 ? (
        <p className="muted">No projects yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Code</th>
              <th>Client</th>
              <th>Status</th>
              <th>Rate</th>
              <th>Budget</th>
            </tr>
          </thead>
          <tbody>
            {projects.map((p) => (
              <tr key={p.id} className={p.archived_at ? "archived" : undefined}>
                <td>
                  <Link to={p.id}>{p.name}</Link>
                </td>
                <td>{p.code ?? "—"}</td>
                <td>{p.client_name}</td>
                <td>{PROJECT_STATUS_LABEL[p.status]}</td>
                <td>{p.hourly_rate === null ? "—" : money(p.hourly_rate)}</td>
                <td>{formatHours(p.budget_seconds)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="toolbar">
        {page > 0 ? <Link to={pageLink(page - 1)}>← Previous</Link> : <span />}
        {hasMore && <Link to={pageLink(page + 1)}>Next →</Link>}
      </p>
    </div>
  );
}
