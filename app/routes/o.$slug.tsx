import type { LoaderFunctionArgs } from "@remix-run/node";
import { NavLink, Outlet, useLoaderData, useNavigate } from "@remix-run/react";
import { load } from "~/lib/api.server";
import { formatDateTime } from "~/lib/format";
import { localeFromAcceptLanguage } from "~/lib/money";
import { can } from "~/lib/permissions";
import { TimerWidget } from "~/components/timer-widget";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const orgs = await load(request, () => context.api.orgs.mine());
  let org: { slug: string; name: string } | undefined = orgs.find((o) => o.slug === params.slug);
  // Staff have no memberships: their only way in is the live support session for this organisation.
  const support = !org && context.viewer?.isStaff ? await load(request, () => context.api.support.current()) : null;
  if (support && support.slug === params.slug) org = { slug: support.slug, name: support.name };
  // Same answer for "does not exist" and "not yours": slugs of other organisations cannot be probed.
  if (!org) throw new Response("Organisation not found.", { status: 404, statusText: "Not found" });
  if (!context.viewer?.emailVerified) throw new Response("Confirm your email address first.", { status: 403, statusText: "Forbidden" });
  // Members see support's presence and actions; a role without support.view simply sees nothing.
  const [activity, me] = await Promise.all([
    support ? null : context.api.support.activity({ org: org.slug }).catch(() => null),
    // The navigation shows only what the role allows; pages below read it through useOrgAccess().
    context.api.members.me({ org: org.slug }).catch(() => null),
  ]);
  // The running timer shows in the header on every page; a role without time tracking has none.
  const timer = support ? null : await context.api.time.current({ org: org.slug }).catch(() => null);
  // Amounts are typed and shown in the person's own number format (ADR 015): "110,50" in a German browser.
  const numberLocale = localeFromAcceptLanguage(request.headers.get("accept-language"));
  return { org, orgs, activity, asSupport: Boolean(support), me, timer, numberLocale };
}

function SupportActivity({
  activity,
}: {
  activity: {
    active: { id: string; scope: string; expiresAt: number; staffName: string | null }[];
    actions: { id: number; at: number; action: string; target_type: string | null; target_id: string | null }[];
  };
}) {
  if (activity.active.length === 0) return null;
  return (
    <section className="support-activity" aria-label="Support activity">
      <strong>Support is in your organisation now</strong>
      {activity.active.map((g) => (
        <span key={g.id}>
          {" "}
          · {g.staffName ?? "support"} ({g.scope === "read" ? "read only" : "read and write"}) until {formatDateTime(g.expiresAt)}
        </span>
      ))}
      {activity.actions.length > 0 && (
        <ul>
          {activity.actions.slice(0, 10).map((a) => (
            <li key={a.id}>
              {formatDateTime(a.at)}: {a.action}
              {a.target_type === "procedure" ? ` ${a.target_id}` : a.target_type ? ` (${a.target_type})` : ""}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export default function OrgLayout() {
  const { org, orgs, activity, asSupport, me, timer } = useLoaderData<typeof loader>();
  const allowed = (permission: string) => can(me?.permissions, permission);
  const navigate = useNavigate();
  const base = `/o/${org.slug}`;
  return (
    <div>
      <nav className="org-nav" aria-label="Organisation">
        <strong>{org.name}</strong>
        <NavLink to={base} end>
          Overview
        </NavLink>
        {allowed("client.read") && <NavLink to={`${base}/clients`}>Clients</NavLink>}
        {allowed("project.read") && <NavLink to={`${base}/projects`}>Projects</NavLink>}
        {allowed("task.read") && <NavLink to={`${base}/tasks`}>Tasks</NavLink>}
        {allowed("task.read") && <NavLink to={`${base}/board`}>Board</NavLink>}
        {allowed("time.read.own") && <NavLink to={`${base}/time`}>Time</NavLink>}
        {allowed("invoice.read") && <NavLink to={`${base}/invoices`}>Invoices</NavLink>}
        {allowed("report.view") && <NavLink to={`${base}/reports`}>Reports</NavLink>}
        {allowed("audit.view") && <NavLink to={`${base}/audit`}>Audit log</NavLink>}
        {allowed("integration.read") && <NavLink to={`${base}/integrations`}>Integrations</NavLink>}
        {allowed("member.read") && <NavLink to={`${base}/members`}>Members</NavLink>}
        {allowed("role.manage") && <NavLink to={`${base}/roles`}>Roles</NavLink>}
        {allowed("org.settings") && (
          <NavLink to={`${base}/settings`} end>
            Settings
          </NavLink>
        )}
        {!asSupport && allowed("support.grant") && <NavLink to={`${base}/settings/support`}>Support access</NavLink>}
        {!asSupport && allowed("api.tokens") && <NavLink to={`${base}/settings/tokens`}>API tokens</NavLink>}
        {allowed("webhook.manage") && <NavLink to={`${base}/settings/webhooks`}>Webhooks</NavLink>}
        {allowed("org.export") && <NavLink to={`${base}/settings/export`}>Export</NavLink>}
        {!asSupport && allowed("privacy.subject_requests") && (
          <NavLink to={`${base}/settings/subject-requests`}>Data subject requests</NavLink>
        )}
        {!asSupport && allowed("org.view") && <NavLink to={`${base}/digest`}>Daily digest</NavLink>}
        {!asSupport && allowed("org.delete") && <NavLink to={`${base}/settings/terminate`}>Close organisation</NavLink>}
        <TimerWidget slug={org.slug} timer={timer} />
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
      {activity && <SupportActivity activity={activity} />}
      <Outlet />
    </div>
  );
}
