import type { AppLoadContext, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { formatDateTime } from "~/lib/format";
import { FilterActions, FilterField, FilterProblem, LogPager } from "~/components/log-filters";
import { loadFiltered } from "~/lib/log-views.server";
import { SECURITY_EVENT_LABEL, cursorParam, eventLabel, filtersFromParams, formatDetail, withParam } from "~/lib/log-views";

export const meta: MetaFunction = () => [{ title: "Security log · opslayer" }];

const PAGE = 50;
const FILTERS = ["event", "email", "ip", "from", "to"] as const;
type LogInput = Parameters<AppLoadContext["api"]["security"]["platformLog"]>[0];

/** Platform operators only: the API refuses everyone else (403), which this page shows as an error. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const filters = filtersFromParams(url.searchParams, FILTERS);
  const result = await loadFiltered(request, () =>
    context.api.security.platformLog({ ...filters, limit: PAGE, cursor: cursorParam(url.searchParams, "before") } as LogInput),
  );
  return { page: result.data ?? { items: [], nextCursor: null }, problem: result.problem };
}

export default function SecurityLog() {
  const { page, problem } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const value = (name: string) => params.get(name) ?? "";
  const field = (name: string, label: string, input: React.ReactNode) => (
    <FilterField name={name} label={label} errors={problem?.fieldErrors[name]}>
      {input}
    </FilterField>
  );
  return (
    <div>
      <h1>Security log</h1>
      <p className="muted">Every sign-in, failed attempt and account event on this instance, newest first.</p>
      <Form method="get" className="card filters" aria-label="Filter the security log">
        <FilterProblem problem={problem} />
        {field(
          "event",
          "Event",
          <>
            <input
              id="f-event"
              name="event"
              list="security-events"
              defaultValue={value("event")}
              placeholder="login.failure or login."
              maxLength={100}
            />
            <datalist id="security-events">
              {Object.keys(SECURITY_EVENT_LABEL).map((e) => (
                <option key={e} value={e} />
              ))}
            </datalist>
          </>,
        )}
        {field("email", "Email contains", <input id="f-email" name="email" defaultValue={value("email")} maxLength={254} />)}
        {field("ip", "IP address", <input id="f-ip" name="ip" defaultValue={value("ip")} maxLength={64} />)}
        {field("from", "From (UTC)", <input id="f-from" name="from" type="date" defaultValue={value("from")} />)}
        {field("to", "To (UTC, inclusive)", <input id="f-to" name="to" type="date" defaultValue={value("to")} />)}
        <FilterActions />
      </Form>
      {page.items.length === 0 ? (
        <p className="muted">{problem ? "Nothing shown until the filters are corrected." : "No events match."}</p>
      ) : (
        <table className="log">
          <thead>
            <tr>
              <th>Time (UTC)</th>
              <th>Event</th>
              <th>Account</th>
              <th>Email given</th>
              <th>IP</th>
              <th>Device</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((e) => (
              <tr key={e.id} className={e.event === "login.failure" || e.event === "login.throttled" ? "warn" : undefined}>
                <td className="nowrap">{formatDateTime(e.at)}</td>
                <td title={e.event}>{eventLabel(e.event)}</td>
                <td title={e.userId ?? undefined}>{e.accountEmail ? `${e.accountName} <${e.accountEmail}>` : (e.userId ?? "—")}</td>
                <td>{e.email ?? "—"}</td>
                <td>{e.ip ? <Link to={withParam(new URLSearchParams(), "ip", e.ip)}>{e.ip}</Link> : "—"}</td>
                <td className="detail">{e.userAgent ?? "unknown"}</td>
                <td className="detail">{formatDetail(e.detail)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LogPager params={params} param="before" nextCursor={page.nextCursor} />
    </div>
  );
}
