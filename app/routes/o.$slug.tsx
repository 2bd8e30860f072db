import type { LoaderFunctionArgs } from "@remix-run/node";
import { NavLink, Outlet, useLoaderData, useNavigate } from "@remix-run/react";
import { load } from "~/lib/api.server";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const orgs = await load(request, () => context.api.orgs.mine());
  const org = orgs.find((o) => o.slug === params.slug);
  // Same answer for "does not exist" and "not yours": slugs of other organisations cannot be probed.
  if (!org) throw new Response("Organisation not found.", { status: 404, statusText: "Not found" });
  if (!context.viewer?.emailVerified) throw new Response("Confirm your email address first.", { status: 403, statusText: "Forbidden" });
  return { org, orgs };
}

export default function OrgLayout() {
  const { org, orgs } = useLoaderData<typeof loader>();
  const navigate = useNavigate();
  const base = `/o/${org.slug}`;
  return (
    <div>
      <nav className="org-nav" aria-label="Organisation">
        <strong>{org.name}</strong>
        <NavLink to={base} end>
          Overview
        </NavLink>
        <NavLink to={`${base}/clients`}>Clients</NavLink>
        <NavLink to={`${base}/projects`}>Projects</NavLink>
        {orgs.length > 1 && (
          <select className="switcher" aria-label="Switch organisation" value={org.slug} onChange={(e) => navigate(`/o/${e.target.value}`)}>
            {orgs.map((o) => (
              <option key={o.slug} value={o.slug}>
                {o.name}
              </option>
            ))}
          </select>
        )}
      </nav>
      <Outlet />
    </div>
  );
}
