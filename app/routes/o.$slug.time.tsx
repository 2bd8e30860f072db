import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, Outlet, useActionData, useFetcher, useLoaderData, useLocation, useParams, useSearchParams } from "@remix-run/react";
import { ConfirmForm } from "~/components/confirm-form";
import { FormMessage } from "~/components/form";
import { TimeEntryForm } from "~/components/time-entry-form";
import { attempt, readForm, formObject, load } from "~/lib/api.server";
import { formatHours, formatMoney } from "~/lib/format";
import { useOrgAccess } from "~/lib/permissions";
import { ifAllowed } from "~/lib/permissions.server";
import { formFailure, shiftDate, timeEntryEdit, timeEntryInput } from "~/lib/time-input.server";

const today = (timeZone: string) =>
  new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const url = new URL(request.url);
  const editId = url.searchParams.get("edit");
  const [list, projects, editing, problems] = await load(request, () =>
    Promise.all([
      context.api.time.list({ org, from: url.searchParams.get("from") || undefined, to: url.searchParams.get("to") || undefined }),
      ifAllowed(() => context.api.time.projects({ org })),
      editId ? context.api.time.get({ org, id: editId }) : null,
      context.api.time.problems({ org }),
    ]),
  );
  // With a range, "previous" and "next" move by its length (a week unless the filter says otherwise).
  const span = list.from && list.to ? (Date.parse(list.to) - Date.parse(list.from)) / 86_400_000 + 1 : 7;
  const nav =
    list.from && list.to
      ? {
          prev: `?from=${shiftDate(list.from, -span)}&to=${shiftDate(list.to, -span)}`,
          next: `?from=${shiftDate(list.from, span)}&to=${shiftDate(list.to, span)}`,
        }
      : null;
  return { ...list, projects: projects ?? [], editing, nav, today: today(list.timeZone), problems };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const org = params.slug!;
  const back = new URL(request.url);
  back.searchParams.delete("edit");
  if (f.intent === "delete") {
    const result = await attempt(request, () => context.api.time.delete({ org, id: f.id ?? "" }));
    return result.ok ? redirect(back.pathname + back.search) : result;
  }
  if (f.intent === "update") {
    const edit = timeEntryEdit(f);
    if (!edit.ok) return edit;
    const result = await attempt(request, () => context.api.time.update({ org, id: f.id ?? "", ...edit.input }));
    if (result.ok) throw redirect(back.pathname + back.search);
    return formFailure(result);
  }
  const parsed = timeEntryInput(f, { withTimes: true });
  if (!parsed.ok) return parsed;
  const result = await attempt(request, () => context.api.time.create({ org, ...parsed.input }));
  if (result.ok) throw redirect(back.pathname + back.search);
  return formFailure(result);
}

type Entry = ReturnType<typeof useLoaderData<typeof loader>>["entries"][number];

function byDay(entries: Entry[]) {
  const days = new Map<string, Entry[]>();
  for (const e of entries) days.set(e.date, [...(days.get(e.date) ?? []), e]);
  return [...days];
}

function StartTimer({ slug, projects }: { slug: string; projects: { id: string; name: string; client_name: string }[] }) {
  const fetcher = useFetcher<{ ok: false; message: string }>();
  const location = useLocation();
  return (
    <fetcher.Form method="post" action={`/o/${slug}/time/timer`} className="toolbar card" aria-label="Start a timer">
      <input type="hidden" name="intent" value="start" />
      <input type="hidden" name="redirectTo" value={location.pathname + location.search} />
      <select name="projectId" aria-label="Project for the timer" required defaultValue="">
        <option value="">Project…</option>
        {projects.map((p) => (
          <option key={p.id} value={p.id}>
            {p.client_name}: {p.name}
          </option>
        ))}
      </select>
      <input name="note" placeholder="What are you working on?" aria-label="Timer note" maxLength={2000} style={{ flex: 1 }} />
      <label>
        <input type="checkbox" name="billable" defaultChecked /> Billable
      </label>
      <button type="submit" disabled={fetcher.state !== "idle"}>
        Start timer
      </button>
      {fetcher.data && !fetcher.data.ok && <span className="field-error">{fetcher.data.message}</span>}
    </fetcher.Form>
  );
}

const PROBLEM_TEXT = {
  ends_before_start: "ends before it starts",
  outside_years: "is dated outside the years this installation accepts",
} as const;

/** Entries migration 0017 (or the year range) found wrong: listed until someone fixes their times. */
function EntriesToFix(props: { problems: ReturnType<typeof useLoaderData<typeof loader>>["problems"]; editLink: (id: string) => string }) {
  const { entries, more } = props.problems;
  if (entries.length === 0) return null;
  return (
    <div className="card" role="alert" aria-label="Entries to fix">
      <strong>
        {entries.length}
        {more ? "+" : ""} {entries.length === 1 ? "entry needs" : "entries need"} fixing.
      </strong>{" "}
      Correct their times, or delete them; until then they are shown as they are.
      <ul>
        {entries.map((e) => (
          <li key={e.id}>
            {e.date} {e.start_time}–{e.end_time ?? "running"} · {e.project_name}
            {e.member_name ? ` · ${e.member_name}` : ""} · {formatHours(e.duration_seconds)} — {PROBLEM_TEXT[e.problem]}.{" "}
            {e.locked ? (
              <span className="muted">On an invoice: void it to fix this entry.</span>
            ) : (
              <Link to={props.editLink(e.id)}>Fix</Link>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

export default function Time() {
  const { currency } = useOrgAccess();
  const money = (minor: number) => formatMoney(minor, currency);
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { can } = useOrgAccess();
  const slug = useParams().slug!;
  const base = `/o/${slug}`;
  const showMoney = data.totals.amount !== null;
  const withoutEdit = new URLSearchParams(params);
  withoutEdit.delete("edit");
  const editLink = (id: string) => {
    const next = new URLSearchParams(withoutEdit);
    next.set("edit", id);
    return `?${next}`;
  };
  return (
    <div>
      <Outlet />
      <div className="toolbar">
        <h1>Time</h1>
        {can("project.rates.view") && <Link to={`${base}/settings/rates`}>Hourly rates</Link>}
        {can("time.reprice") && can("project.rates.view") && <Link to="reprice">Re-price unbilled time</Link>}
      </div>
      <EntriesToFix problems={data.problems} editLink={editLink} />
      {data.projects.length > 0 && <StartTimer slug={slug} projects={data.projects} />}
      <Form method="get" className="toolbar">
        {data.nav && <Link to={data.nav.prev}>← Previous</Link>}
        <label>
          From <input type="date" name="from" defaultValue={data.from ?? ""} />
        </label>
        <label>
          To <input type="date" name="to" defaultValue={data.to ?? ""} />
        </label>
        <button type="submit" className="secondary">
          Show
        </button>
        <Link to=".">This week</Link>
        {data.nav && <Link to={data.nav.next}>Next →</Link>}
      </Form>
      <div className="stats">
        <div className="stat">
          <strong>{formatHours(data.totals.seconds)}</strong> total
        </div>
        <div className="stat">
          <strong>{formatHours(data.totals.billableSeconds)}</strong> billable
        </div>
        {showMoney && (
          <div className="stat">
            <strong>{money(data.totals.amount ?? 0)}</strong> billable amount
          </div>
        )}
      </div>
      <h2>
        {data.from ?? "…"} to {data.to ?? "…"} <small className="muted">({data.timeZone})</small>
      </h2>
      {data.projects.length === 0 && <FormMessage result={result} />}
      {data.entries.length === 0 ? (
        <p className="muted">No time in this range.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Time</th>
              <th>Project</th>
              <th>Note</th>
              <th>Hours</th>
              {showMoney && <th>Amount</th>}
              <th />
            </tr>
          </thead>
          {byDay(data.entries).map(([day, entries]) => (
            <tbody key={day}>
              <tr>
                <th colSpan={3}>{day}</th>
                <th colSpan={showMoney ? 3 : 2}>{formatHours(entries.reduce((s, e) => s + e.duration_seconds, 0))}</th>
              </tr>
              {entries.map((e) => (
                <tr key={e.id}>
                  <td className="nowrap">
                    {e.start_time}–{e.end_time ?? "running"}
                  </td>
                  <td>
                    {e.project_name} <small className="muted">{e.client_name}</small>
                  </td>
                  <td>
                    {e.note} {!e.billable && <small className="muted">(not billable)</small>}
                  </td>
                  <td>{e.running ? "—" : formatHours(e.duration_seconds)}</td>
                  {showMoney && <td>{e.amount === null ? "—" : money(e.amount)}</td>}
                  <td className="nowrap">
                    {e.locked ? (
                      <span className="muted">Invoiced</span>
                    ) : (
                      <>
                        <Link to={editLink(e.id)}>Edit</Link>{" "}
                        <ConfirmForm
                          open="Delete"
                          question="Delete this entry?"
                          confirm="Delete entry"
                          fields={{ intent: "delete", id: e.id }}
                        />
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          ))}
        </table>
      )}
      {data.projects.length > 0 && (
        <TimeEntryForm
          result={result}
          projects={data.projects}
          entry={data.editing && !data.editing.locked ? data.editing : null}
          today={data.today}
          timeZone={data.timeZone}
          cancelTo={`?${withoutEdit}`}
        />
      )}
    </div>
  );
}
