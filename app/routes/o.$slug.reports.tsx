import { redirect, type AppLoadContext, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { TRPCError } from "@trpc/server";
import type { ReactNode } from "react";
import { BudgetChart } from "~/components/charts/budget-chart";
import { toHours } from "~/components/charts/chart-frame";
import { HoursChart } from "~/components/charts/hours-chart";
import { DateRangeFields, FilterField, FilterProblem } from "~/components/log-filters";
import { load } from "~/lib/api.server";
import { formatHours, formatMoney } from "~/lib/format";
import { loadFiltered } from "~/lib/log-views.server";

export const meta: MetaFunction = () => [{ title: "Reports · opslayer" }];

type HoursInput = Parameters<AppLoadContext["api"]["reports"]["hours"]>[0];
const GROUPS = { project: "Project", client: "Client", member: "Member", week: "Week", month: "Month" } as const;

/** Calendar arithmetic on local dates (YYYY-MM-DD); the API says which day is today in the organisation's zone. */
const day = (d: string) => new Date(`${d}T00:00:00Z`);
const iso = (d: Date) => d.toISOString().slice(0, 10);
const addDays = (d: string, n: number) => iso(new Date(day(d).getTime() + n * 86_400_000));
const monthOf = (d: string, shift = 0) => {
  const t = day(d);
  return {
    from: iso(new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + shift, 1))),
    to: iso(new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + shift + 1, 0))),
  };
};
function presets(today: string, weekStart: number) {
  const weekday = day(today).getUTCDay() || 7;
  const from = addDays(today, -((weekday - weekStart + 7) % 7));
  return [
    { label: "This week", from, to: addDays(from, 6) },
    { label: "This month", ...monthOf(today) },
    { label: "Last month", ...monthOf(today, -1) },
  ];
}

const forbiddenAsNull = (error: unknown) => {
  if (error instanceof TRPCError && error.code === "FORBIDDEN") return null;
  throw error;
};

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const url = new URL(request.url);
  const groupBy = url.searchParams.get("groupBy") || "project";
  const from = url.searchParams.get("from");
  const to = url.searchParams.get("to");
  if (!from || !to) {
    // No range yet: ask the API for the organisation's "today" (its zone, not the server's) and open this month.
    const utcToday = new Date().toISOString().slice(0, 10);
    const probe = await load(request, () => context.api.reports.hours({ org, from: utcToday, to: utcToday, groupBy: "month" }));
    const month = monthOf(probe.today);
    throw redirect(`?${new URLSearchParams({ from: month.from, to: month.to, groupBy })}`);
  }
  const hours = await loadFiltered(request, () => context.api.reports.hours({ org, from, to, groupBy } as HoursInput));
  if (!hours.data) return { org, query: { from, to, groupBy }, problem: hours.problem, hours: null, others: null };
  const [budgets, utilisation, unbilled] = await load(request, () =>
    Promise.all([
      context.api.reports.budgets({ org }),
      context.api.reports.utilisation({ org, from, to }),
      context.api.reports.unbilled({ org }),
    ]),
  );
  // Money per project needs project.rates.view; without it the section is simply left out.
  const financials = await context.api.reports.financials({ org }).catch(forbiddenAsNull);
  return { org, query: { from, to, groupBy }, problem: null, hours: hours.data, others: { budgets, utilisation, unbilled, financials } };
}

type Data = ReturnType<typeof useLoaderData<typeof loader>>;

function ExportLink({ org, params }: { org: string; params: Record<string, string> }) {
  return (
    <a className="button secondary" href={`/o/${org}/reports/export?${new URLSearchParams(params)}`} download>
      Export CSV
    </a>
  );
}

function Section({ title, note, exportLink, children }: { title: string; note?: string; exportLink: ReactNode; children: ReactNode }) {
  return (
    <section className="card" aria-label={title}>
      <div className="toolbar">
        <h2 style={{ margin: 0 }}>
          {title} {note && <small className="muted">({note})</small>}
        </h2>
        {exportLink}
      </div>
      {children}
    </section>
  );
}

function HoursSection({ org, hours, query }: { org: string; hours: NonNullable<Data["hours"]>; query: Data["query"] }) {
  const period = hours.groupBy === "week" || hours.groupBy === "month";
  // Amounts are null for a role without project.rates.view: the column is left out, not shown empty.
  const showMoney = hours.totals.amount !== null;
  const points = hours.rows.map((r) => ({ label: r.label, hours: toHours(r.seconds), billableHours: toHours(r.billableSeconds) }));
  return (
    <Section title="Hours and billable amount" exportLink={<ExportLink org={org} params={{ report: "hours", ...query }} />}>
      {hours.rows.length === 0 ? (
        <p className="muted">No time tracked in this range.</p>
      ) : (
        <HoursChart data={points} over={period ? "time" : "groups"} label={`Hours by ${hours.groupBy}`} />
      )}
      <table>
        <thead>
          <tr>
            <th>{GROUPS[hours.groupBy]}</th>
            {hours.groupBy === "project" && <th>Client</th>}
            <th>Hours</th>
            <th>Billable</th>
            {showMoney && <th>Amount</th>}
          </tr>
        </thead>
        <tbody>
          {hours.rows.map((r) => (
            <tr key={r.key}>
              <td>{period && r.from ? `${r.label} (${r.from} – ${r.to})` : r.label}</td>
              {hours.groupBy === "project" && <td>{r.clientName}</td>}
              <td>{formatHours(r.seconds)}</td>
              <td>{formatHours(r.billableSeconds)}</td>
              {r.amount !== null && <td>{withOthers(formatMoney(r.amount, hours.currency), r.otherAmounts)}</td>}
            </tr>
          ))}
          <tr>
            <th colSpan={hours.groupBy === "project" ? 2 : 1}>Total</th>
            <th>{formatHours(hours.totals.seconds)}</th>
            <th>{formatHours(hours.totals.billableSeconds)}</th>
            {hours.totals.amount !== null && (
              <th>{withOthers(formatMoney(hours.totals.amount, hours.currency), hours.totals.otherAmounts)}</th>
            )}
          </tr>
        </tbody>
      </table>
    </Section>
  );
}

function BudgetSection({ org, budgets }: { org: string; budgets: NonNullable<Data["others"]>["budgets"] }) {
  return (
    <Section title="Budget burn" note="all time" exportLink={<ExportLink org={org} params={{ report: "budgets" }} />}>
      {budgets.rows.length === 0 ? (
        <p className="muted">No project has a budget.</p>
      ) : (
        <>
          <BudgetChart
            data={budgets.rows.map((r) => ({ name: r.projectName, percent: r.percent, overBudget: r.overBudget }))}
            label="Budget used per project"
          />
          <table>
            <thead>
              <tr>
                <th>Project</th>
                <th>Client</th>
                <th>Budget</th>
                <th>Tracked</th>
                <th>Used</th>
              </tr>
            </thead>
            <tbody>
              {budgets.rows.map((r) => (
                <tr key={r.projectId} className={r.overBudget ? "warn" : undefined}>
                  <td>
                    <Link to={`/o/${org}/projects/${r.projectId}`}>{r.projectName}</Link>
                  </td>
                  <td>{r.clientName}</td>
                  <td>{formatHours(r.budgetSeconds)}</td>
                  <td>{formatHours(r.trackedSeconds)}</td>
                  <td>
                    {r.percent} %{r.overBudget && " · over budget"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Section>
  );
}

function UtilisationSection({
  org,
  utilisation,
  query,
}: {
  org: string;
  utilisation: NonNullable<Data["others"]>["utilisation"];
  query: Data["query"];
}) {
  const ratio = (r: number | null) => (r === null ? "—" : `${Math.round(r * 100)} %`);
  return (
    <Section title="Utilisation" exportLink={<ExportLink org={org} params={{ report: "utilisation", from: query.from, to: query.to }} />}>
      <table>
        <thead>
          <tr>
            <th>Member</th>
            <th>Tracked</th>
            <th>Billable</th>
            <th>Billable share</th>
          </tr>
        </thead>
        <tbody>
          {utilisation.rows.map((r) => (
            <tr key={r.memberId}>
              <td>{r.name}</td>
              <td>{formatHours(r.trackedSeconds)}</td>
              <td>{formatHours(r.billableSeconds)}</td>
              <td>{ratio(r.billableRatio)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function UnbilledSection({ org, unbilled }: { org: string; unbilled: NonNullable<Data["others"]>["unbilled"] }) {
  return (
    <Section title="Unbilled time" note="all time" exportLink={<ExportLink org={org} params={{ report: "unbilled" }} />}>
      {unbilled.rows.length === 0 ? (
        <p className="muted">All billable time is invoiced.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Client</th>
              <th>Project</th>
              <th>Entries</th>
              <th>Hours</th>
              {unbilled.totals.amount !== null && <th>Amount</th>}
            </tr>
          </thead>
          <tbody>
            {unbilled.rows.map((r) => (
              <tr key={r.projectId}>
                <td>{r.clientName}</td>
                <td>{r.projectName}</td>
                <td>{r.entries}</td>
                <td>{formatHours(r.seconds)}</td>
                {r.amount !== null && <td>{formatMoney(r.amount, unbilled.currency)}</td>}
              </tr>
            ))}
            <tr>
              <th colSpan={2}>Total</th>
              <th>{unbilled.totals.entries}</th>
              <th>{formatHours(unbilled.totals.seconds)}</th>
              {unbilled.totals.amount !== null && <th>{formatMoney(unbilled.totals.amount, unbilled.currency)}</th>}
            </tr>
          </tbody>
        </table>
      )}
    </Section>
  );
}

/** An amount with any invoiced in other currencies beside it, never added to it (ADR 017). */
const withOthers = (main: string, others: { currency: string; amount: number }[]) =>
  [main, ...others.map((o) => formatMoney(o.amount, o.currency))].join(" + ");

function FinancialsSection({ org, financials }: { org: string; financials: NonNullable<NonNullable<Data["others"]>["financials"]> }) {
  // Each amount in its own currency: rows and totals are per currency, never added across currencies.
  const money = (n: number, currency: string) => formatMoney(n, currency);
  return (
    <Section title="Project financials" note="all time" exportLink={<ExportLink org={org} params={{ report: "financials" }} />}>
      <table>
        <thead>
          <tr>
            <th>Project</th>
            <th>Rate</th>
            <th>Budget</th>
            <th>Billable</th>
            <th>Unbilled</th>
            <th title="Time on draft invoices: not invoiced yet">On drafts</th>
            <th title="Time on issued invoices, paid or not">Invoiced</th>
            <th title="Time on invoices paid in full">Paid</th>
          </tr>
        </thead>
        <tbody>
          {financials.rows.map((r) => (
            <tr key={`${r.projectId}:${r.clientId}:${r.currency}`} className={r.archived ? "archived" : undefined}>
              <td>
                {r.projectName} <small className="muted">{r.clientName}</small>
              </td>
              <td>{r.currency === financials.currency ? `${money(r.hourlyRate, financials.currency)}/h` : ""}</td>
              <td>{formatHours(r.budgetSeconds)}</td>
              <td>{money(r.billableAmount, r.currency)}</td>
              <td>{money(r.unbilledAmount, r.currency)}</td>
              <td>{money(r.draftAmount, r.currency)}</td>
              <td>{money(r.invoicedAmount, r.currency)}</td>
              <td>{money(r.paidAmount, r.currency)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          {financials.totals.map((t) => (
            <tr key={t.currency}>
              <th colSpan={3}>Total {t.currency}</th>
              <th>{money(t.billableAmount, t.currency)}</th>
              <th>{money(t.unbilledAmount, t.currency)}</th>
              <th>{money(t.draftAmount, t.currency)}</th>
              <th>{money(t.invoicedAmount, t.currency)}</th>
              <th>{money(t.paidAmount, t.currency)}</th>
            </tr>
          ))}
        </tfoot>
      </table>
    </Section>
  );
}

export default function Reports() {
  const { org, query, problem, hours, others } = useLoaderData<typeof loader>();
  const errors = (name: string) => problem?.fieldErrors[name];
  return (
    <div>
      <h1>Reports</h1>
      <Form method="get" className="card filters" aria-label="Report range">
        <FilterProblem problem={problem} />
        <DateRangeFields from={query.from} to={query.to} errors={errors} />
        <FilterField name="groupBy" label="Group hours by" errors={errors("groupBy")}>
          <select id="f-groupBy" name="groupBy" defaultValue={query.groupBy}>
            {Object.entries(GROUPS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </FilterField>
        <div className="filter-actions">
          <button type="submit">Show</button>
          {hours &&
            presets(hours.today, hours.weekStart).map((p) => (
              <Link key={p.label} to={`?${new URLSearchParams({ from: p.from, to: p.to, groupBy: query.groupBy })}`}>
                {p.label}
              </Link>
            ))}
          {hours && <small className="muted">Days in {hours.timeZone}</small>}
        </div>
      </Form>
      {hours && <HoursSection org={org} hours={hours} query={query} />}
      {others && (
        <>
          <BudgetSection org={org} budgets={others.budgets} />
          <UtilisationSection org={org} utilisation={others.utilisation} query={query} />
          <UnbilledSection org={org} unbilled={others.unbilled} />
          {others.financials && <FinancialsSection org={org} financials={others.financials} />}
        </>
      )}
    </div>
  );
}
