import { redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { CHART_COLOURS, ChartFrame, toHours } from "~/components/charts/chart-frame";
import { DateRangeFields, FilterProblem } from "~/components/log-filters";
import { load } from "~/lib/api.server";
import { formatDateTime, formatHours, formatMoney, todayIn } from "~/lib/format";
import { loadFiltered } from "~/lib/log-views.server";

export const meta: MetaFunction = () => [{ title: "Project activity · opslayer" }];

const DEFAULT_DAYS = 7;
const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const projectId = params.id!;
  const url = new URL(request.url);
  const from = url.searchParams.get("from");
  const to = url.searchParams.get("to");
  if (!from || !to) {
    // The last 7 days up to today in the organisation's zone (not the server's).
    const me = await load(request, () => context.api.members.me({ org }));
    const today = todayIn(me.timeZone);
    throw redirect(`?${new URLSearchParams({ from: addDays(today, 1 - DEFAULT_DAYS), to: today })}`);
  }
  const report = await loadFiltered(request, () => context.api.digest.projectReport({ org, projectId, from, to }));
  return { org, projectId, query: { from, to }, report: report.data, problem: report.problem };
}

type Report = NonNullable<ReturnType<typeof useLoaderData<typeof loader>>["report"]>;

function HoursPerDay({ days }: { days: Report["days"] }) {
  const data = days.map((d) => ({ label: d.date.slice(5), hours: toHours(d.seconds) }));
  return (
    <ChartFrame height={220} label="Hours logged per day">
      {() => (
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="label" interval={data.length <= 14 ? 0 : "preserveStartEnd"} tick={{ fontSize: 12 }} />
            <YAxis unit=" h" />
            <Tooltip formatter={(v: unknown) => `${Number(v).toLocaleString("en", { maximumFractionDigits: 2 })} h`} />
            <Bar dataKey="hours" name="Hours" fill={CHART_COLOURS.hours} />
          </BarChart>
        </ResponsiveContainer>
      )}
    </ChartFrame>
  );
}

function TaskList({ title, section, org }: { title: string; section: Report["tasksCreated"]; org: string }) {
  if (!section) return null;
  return (
    <section className="card" aria-label={title}>
      <h2>
        {title}: {section.total}
      </h2>
      {section.total === 0 ? (
        <p className="muted">None in this range.</p>
      ) : (
        <ul>
          {section.items.map((t) => (
            <li key={`${t.id}-${t.at}`}>
              <Link to={`/o/${org}/tasks/${t.id}`}>{t.title}</Link> <small className="muted">{formatDateTime(t.at)}</small>
            </li>
          ))}
          {section.total > section.items.length && <li className="muted">… and {section.total - section.items.length} more</li>}
        </ul>
      )}
    </section>
  );
}

export default function ProjectActivity() {
  const { org, projectId, query, report, problem } = useLoaderData<typeof loader>();
  const errors = (name: string) => problem?.fieldErrors[name];
  return (
    <div>
      <p>
        <Link to={`/o/${org}/projects/${projectId}`}>← {report ? report.project.name : "Project"}</Link>
      </p>
      <h1>Activity report{report && `: ${report.project.name}`}</h1>
      <Form method="get" className="card filters" aria-label="Report range">
        <FilterProblem problem={problem} />
        <DateRangeFields from={query.from} to={query.to} errors={errors} />
        <div className="filter-actions">
          <button type="submit">Show</button>
        </div>
      </Form>
      {report && (
        <>
          <p className="muted">
            {report.from} to {report.to}, days in {report.timeZone.replaceAll("_", " ")}. Only what you can see is counted.
          </p>
          <section className="card" aria-label="Day by day">
            <h2>Day by day</h2>
            {report.hours && report.hours.seconds > 0 && <HoursPerDay days={report.days} />}
            <table>
              <thead>
                <tr>
                  <th>Date</th>
                  {report.tasksCreated && <th>Tasks created</th>}
                  {report.tasksCompleted && <th>Tasks completed</th>}
                  {report.comments && <th>Comments</th>}
                  {report.hours && <th>{report.hours.onlyOwn ? "Your hours" : "Hours"}</th>}
                  {report.invoicesIssued && <th>Invoices issued</th>}
                </tr>
              </thead>
              <tbody>
                {report.days.map((d) => (
                  <tr key={d.date}>
                    <td>{d.date}</td>
                    {report.tasksCreated && <td>{d.tasksCreated}</td>}
                    {report.tasksCompleted && <td>{d.tasksCompleted}</td>}
                    {report.comments && <td>{d.comments}</td>}
                    {report.hours && <td>{formatHours(d.seconds)}</td>}
                    {report.invoicesIssued && <td>{d.invoicesIssued}</td>}
                  </tr>
                ))}
                <tr>
                  <th>Total</th>
                  {report.tasksCreated && <th>{report.tasksCreated.total}</th>}
                  {report.tasksCompleted && <th>{report.tasksCompleted.total}</th>}
                  {report.comments && <th>{report.comments.total}</th>}
                  {report.hours && <th>{formatHours(report.hours.seconds)}</th>}
                  {report.invoicesIssued && <th>{report.invoicesIssued.total}</th>}
                </tr>
              </tbody>
            </table>
          </section>
          <TaskList title="Tasks created" section={report.tasksCreated} org={org} />
          <TaskList title="Tasks completed" section={report.tasksCompleted} org={org} />
          {report.invoicesIssued && (
            <section className="card" aria-label="Invoices issued">
              <h2>Invoices issued: {report.invoicesIssued.total}</h2>
              {report.invoicesIssued.total === 0 ? (
                <p className="muted">No invoice billing this project's time was issued in this range.</p>
              ) : (
                <table>
                  <thead>
                    <tr>
                      <th>Number</th>
                      <th>Client</th>
                      <th>Total</th>
                      <th>Issued</th>
                    </tr>
                  </thead>
                  <tbody>
                    {report.invoicesIssued.items.map((i) => (
                      <tr key={i.id}>
                        <td>
                          <Link to={`/o/${org}/invoices/${i.id}`}>{i.number}</Link>
                        </td>
                        <td>{i.clientName}</td>
                        <td>{formatMoney(i.total, i.currency)}</td>
                        <td>{formatDateTime(i.at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          )}
        </>
      )}
    </div>
  );
}
