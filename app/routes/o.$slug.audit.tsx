import type { AppLoadContext, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { formatDateTime } from "~/lib/format";
import { loadFiltered } from "~/lib/log-views.server";
import { FilterActions, FilterField, FilterProblem, LogPager } from "~/components/log-filters";
import { cursorParam, filtersFromParams, formatDetail } from "~/lib/log-views";

export const meta: MetaFunction = () => [{ title: "Audit log · opslayer" }];

const PAGE = 50;
const FILTERS = ["action", "actorKind", "actorId", "targetType", "targetId", "from", "to"] as const;
const KINDS = ["user", "support", "api", "system"] as const;
type ListInput = Parameters<AppLoadContext["api"]["audit"]["list"]>[0];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const filters = filtersFromParams(url.searchParams, FILTERS);
  const result = await loadFiltered(request, () =>
    // The URL is untrusted text: the API validates every filter and says which one is wrong.
    context.api.audit.list({ org: params.slug!, ...filters, limit: PAGE, cursor: cursorParam(url.searchParams, "before") } as ListInput),
  );
  return { org: params.slug!, page: result.data ?? { items: [], nextCursor: null }, problem: result.problem };
}

function targetLink(org: string, type: string | null, id: string | null) {
  if (!type) return "—";
  const path = type === "client" ? "clients" : type === "project" ? "projects" : null;
  const label = id ? `${type} ${id}` : type;
  return path && id ? <Link to={`/o/${org}/${path}/${id}`}>{label}</Link> : label;
}

export default function AuditLog() {
  const { org, page, problem } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const value = (name: string) => params.get(name) ?? "";
  const errors = (name: string) => problem?.fieldErrors[name];
  const exportQuery = (format: "csv" | "json") => {
    const q = new URLSearchParams();
    for (const key of FILTERS) if (params.get(key)) q.set(key, params.get(key)!);
    q.set("format", format);
    return `/o/${org}/audit/export?${q}`;
  };
  const text = (name: string, label: string, placeholder?: string) => (
    <FilterField name={name} label={label} errors={errors(name)}>
      <input
        id={`f-${name}`}
        name={name}
        defaultValue={value(name)}
        placeholder={placeholder}
        maxLength={100}
        aria-invalid={errors(name) ? true : undefined}
      />
    </FilterField>
  );
  return (
    <div>
      <div className="toolbar">
        <h1>Audit log</h1>
        <span>
          <a href={exportQuery("csv")} className="button secondary">
            Export CSV
          </a>{" "}
          <a href={exportQuery("json")} className="button secondary">
            Export JSON
          </a>
        </span>
      </div>
      <Form method="get" className="card filters" aria-label="Filter the audit log">
        <FilterProblem problem={problem} />
        {text("action", "Action", "client.create or client.")}
        <FilterField name="actorKind" label="Actor kind" errors={errors("actorKind")}>
          <select id="f-actorKind" name="actorKind" defaultValue={value("actorKind")}>
            <option value="">Any</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </FilterField>
        {text("actorId", "Actor id")}
        {text("targetType", "Target type", "client, project…")}
        {text("targetId", "Target id")}
        <FilterField name="from" label="From (UTC)" errors={errors("from")}>
          <input id="f-from" name="from" type="date" defaultValue={value("from")} />
        </FilterField>
        <FilterField name="to" label="To (UTC, inclusive)" errors={errors("to")}>
          <input id="f-to" name="to" type="date" defaultValue={value("to")} />
        </FilterField>
        <FilterActions />
      </Form>
      {page.items.length === 0 ? (
        <p className="muted">{problem ? "Nothing shown until the filters are corrected." : "No entries match."}</p>
      ) : (
        <table className="log">
          <thead>
            <tr>
              <th>Time (UTC)</th>
              <th>Actor</th>
              <th>Kind</th>
              <th>IP</th>
              <th>Action</th>
              <th>Target</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((e) => (
              <tr key={e.id}>
                <td className="nowrap">{formatDateTime(e.at)}</td>
                <td title={e.actorId ?? undefined}>{e.actorName ?? e.actorId ?? "—"}</td>
                <td>{e.actorKind}</td>
                <td title={e.userAgent ?? undefined}>{e.ip ?? "—"}</td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>{targetLink(org, e.targetType, e.targetId)}</td>
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
