import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { FilterActions, FilterField, FilterProblem } from "~/components/log-filters";
import { LabelChips, People, PriorityBadge, StatusBadge } from "~/components/task-bits";
import { load } from "~/lib/api.server";
import { loadFiltered } from "~/lib/log-views.server";
import { CATEGORY_LABEL, SORT_LABEL, withQuery } from "~/lib/tasks";

export const meta: MetaFunction = () => [{ title: "Tasks · opslayer" }];

const PAGE = 50;
/** URL parameter → the list procedure's filter of the same name. */
const FILTERS = [
  "projectId",
  "assigneeId",
  "statusId",
  "category",
  "kind",
  "labelId",
  "dueAfter",
  "dueBefore",
  "search",
  "sort",
  "direction",
] as const;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const url = new URL(request.url);
  const page = Math.max(0, Number.parseInt(url.searchParams.get("page") ?? "0", 10) || 0);
  const filters: Record<string, string> = {};
  for (const key of FILTERS) {
    const value = url.searchParams.get(key)?.trim();
    if (value) filters[key] = value;
  }
  // The URL is untrusted text: the API validates every filter and says which one is wrong.
  const result = await loadFiltered(request, () => context.api.tasks.list({ org, ...filters, limit: PAGE, offset: page * PAGE }));
  const [projects, statuses, labels] = await load(request, () =>
    Promise.all([context.api.tasks.projects({ org }), context.api.workflow.list({ org }), context.api.labels.list({ org })]),
  );
  const members = await context.api.tasks.assignable({ org }).catch(() => null);
  return { org, page, list: result.data ?? { items: [], total: 0 }, problem: result.problem, projects, statuses, labels, members };
}

export default function Tasks() {
  const { org, page, list, problem, projects, statuses, labels, members } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const value = (name: string) => params.get(name) ?? "";
  const errors = (name: string) => problem?.fieldErrors[name];
  const select = (name: string, label: string, options: { value: string; label: string }[], any = "Any") => (
    <FilterField name={name} label={label} errors={errors(name)}>
      <select id={`f-${name}`} name={name} defaultValue={value(name)}>
        <option value="">{any}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </FilterField>
  );
  const last = Math.max(0, Math.ceil(list.total / PAGE) - 1);
  return (
    <div>
      <div className="toolbar">
        <h1>Tasks</h1>
        <span>
          <Link to={`/o/${org}/board`} className="button secondary">
            Board
          </Link>{" "}
          <Link to={`/o/${org}/tasks/new?kind=request`} className="button secondary">
            Raise a request
          </Link>{" "}
          <Link to={`/o/${org}/tasks/new`} className="button">
            New task
          </Link>
        </span>
      </div>
      <Form method="get" className="card filters" aria-label="Filter tasks">
        <FilterProblem problem={problem} />
        <FilterField name="search" label="Title contains" errors={errors("search")}>
          <input id="f-search" name="search" type="search" defaultValue={value("search")} maxLength={200} />
        </FilterField>
        {select(
          "projectId",
          "Project",
          projects.map((p) => ({ value: p.id, label: p.name })),
        )}
        {members &&
          select(
            "assigneeId",
            "Assignee",
            members.map((m) => ({ value: m.userId, label: m.name })),
          )}
        {select(
          "statusId",
          "Status",
          statuses.map((s) => ({ value: s.id, label: s.name })),
        )}
        {select(
          "category",
          "Category",
          Object.entries(CATEGORY_LABEL).map(([v, l]) => ({ value: v, label: l })),
        )}
        {select("kind", "Kind", [
          { value: "task", label: "Tasks" },
          { value: "request", label: "Requests" },
        ])}
        {labels.length > 0 &&
          select(
            "labelId",
            "Label",
            labels.map((l) => ({ value: l.id, label: l.name })),
          )}
        <FilterField name="dueAfter" label="Due from" errors={errors("dueAfter")}>
          <input id="f-dueAfter" name="dueAfter" type="date" defaultValue={value("dueAfter")} />
        </FilterField>
        <FilterField name="dueBefore" label="Due until" errors={errors("dueBefore")}>
          <input id="f-dueBefore" name="dueBefore" type="date" defaultValue={value("dueBefore")} />
        </FilterField>
        {select(
          "sort",
          "Sort by",
          Object.entries(SORT_LABEL).map(([v, l]) => ({ value: v, label: l })),
          "Recently updated",
        )}
        {select(
          "direction",
          "Order",
          [
            { value: "asc", label: "Ascending" },
            { value: "desc", label: "Descending" },
          ],
          "Natural",
        )}
        <FilterActions />
      </Form>
      <p className="muted">
        {list.total === 0
          ? "No tasks match."
          : `${list.total} task${list.total === 1 ? "" : "s"}${list.total > PAGE ? `, page ${page + 1} of ${last + 1}` : ""}.`}
      </p>
      {list.items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Title</th>
              <th>Project</th>
              <th>Status</th>
              <th>Priority</th>
              <th>Due</th>
              <th>Assignees</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((t) => (
              <tr key={t.id}>
                <td>
                  {t.kind === "request" && <span className="muted">Request · </span>}
                  <Link to={`/o/${org}/tasks/${t.id}`}>{t.title}</Link> <LabelChips labels={t.labels} />
                </td>
                <td>{t.projectName}</td>
                <td>
                  <StatusBadge status={t.status} />
                </td>
                <td>
                  <PriorityBadge priority={t.priority} />
                </td>
                <td className="nowrap">{t.dueDate ?? "—"}</td>
                <td>
                  <People people={t.assignees} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="toolbar">
        {page > 0 ? <Link to={withQuery(params, { page: String(page - 1) })}>← Previous</Link> : <span />}
        {page < last && <Link to={withQuery(params, { page: String(page + 1) })}>Next →</Link>}
      </p>
    </div>
  );
}
