import type { LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import { TRPCError } from "@trpc/server";
import { toHours } from "~/components/charts/chart-frame";
import { TopProjectsChart } from "~/components/charts/top-projects-chart";
import { load } from "~/lib/api.server";
import { formatHours, formatMoney } from "~/lib/format";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const [clients, projects] = await load(request, () =>
    Promise.all([context.api.clients.list({ org }), context.api.projects.list({ org, limit: 200 })]),
  );
  // Client contacts have no dashboard.view: they keep the counts and links, without the figures.
  const summary = await context.api.dashboard.summary({ org }).catch((error: unknown) => {
    if (error instanceof TRPCError && error.code === "FORBIDDEN") return null;
    throw error;
  });
  return { org, clients: clients.length, projects: projects.length, active: projects.filter((p) => p.status === "active").length, summary };
}

function Stat({ label, value, children }: { label: string; value: string | number; children?: ReactNode }) {
  return (
    <div className="stat">
      <span className="muted">{label}</span>
      <strong>{value}</strong>
      {children}
    </div>
  );
}

export default function Overview() {
  const d = useLoaderData<typeof loader>();
  const s = d.summary;
  return (
    <div>
      <div className="stats">
        {s && (
          <>
            <Stat label={`Hours this week (from ${s.week.from})`} value={formatHours(s.secondsThisWeek)} />
            <Stat label={`Hours in ${s.month.from.slice(0, 7)}`} value={formatHours(s.secondsThisMonth)} />
            {s.billableAmountThisMonth !== null && (
              <Stat label="Billable this month" value={formatMoney(s.billableAmountThisMonth, s.currency)} />
            )}
            {s.unbilledAmount !== null && (
              <Stat label="Unbilled" value={formatMoney(s.unbilledAmount, s.currency)}>
                <Link to={`/o/${d.org}/reports`}>See reports</Link>
              </Stat>
            )}
          </>
        )}
        <Stat label="Clients" value={d.clients}>
          <Link to={`/o/${d.org}/clients`}>See clients</Link>
        </Stat>
        <Stat label="Projects" value={d.projects}>
          <Link to={`/o/${d.org}/projects`}>See projects</Link>
        </Stat>
        <Stat label="Active projects" value={s ? s.activeProjects : d.active} />
        {s && s.projectsWithBudget > 0 && <Stat label="Over budget" value={`${s.projectsOverBudget} of ${s.projectsWithBudget}`} />}
      </div>
      {s && (
        <section className="card" style={{ marginTop: 16 }} aria-label="Top projects this month">
          <h2 style={{ marginTop: 0 }}>Top projects in {s.month.from.slice(0, 7)}</h2>
          {s.topProjects.length === 0 ? (
            <p className="muted">No time tracked this month yet.</p>
          ) : (
            <>
              <TopProjectsChart
                data={s.topProjects.map((p) => ({ name: p.name, hours: toHours(p.seconds) }))}
                label="Hours per project this month"
              />
              <table>
                <thead>
                  <tr>
                    <th>Project</th>
                    <th>Client</th>
                    <th>Hours</th>
                    {s.billableAmountThisMonth !== null && <th>Billable</th>}
                  </tr>
                </thead>
                <tbody>
                  {s.topProjects.map((p) => (
                    <tr key={p.projectId}>
                      <td>
                        <Link to={`/o/${d.org}/projects/${p.projectId}`}>{p.name}</Link>
                      </td>
                      <td>{p.clientName}</td>
                      <td>{formatHours(p.seconds)}</td>
                      {p.amount !== null && <td>{formatMoney(p.amount, s.currency)}</td>}
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          <p className="muted">Days and weeks in {s.timeZone}.</p>
        </section>
      )}
    </div>
  );
}
