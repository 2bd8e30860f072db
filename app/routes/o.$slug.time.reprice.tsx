import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { FormMessage } from "~/components/form";
import { attempt, formObject, load, readForm } from "~/lib/api.server";
import { formatHours, formatMoney } from "~/lib/format";
import { useOrgAccess } from "~/lib/permissions";
import { ifAllowed } from "~/lib/permissions.server";

/** Only the filters the procedures take; empty fields are left out. */
function filtersOf(get: (name: string) => string | null | undefined) {
  const value = (name: string) => get(name) || undefined;
  return { projectId: value("projectId"), from: value("from"), to: value("to") };
}

/**
 * Re-pricing unbilled time at today's rates: an entry keeps the rate it was logged at until someone
 * previews this change and applies exactly what the preview showed (issue 26).
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const url = new URL(request.url);
  const filters = filtersOf((n) => url.searchParams.get(n));
  const [projects, preview] = await load(request, () =>
    Promise.all([
      ifAllowed(() => context.api.time.projects({ org })),
      url.searchParams.has("preview") ? context.api.time.repricePreview({ org, ...filters }) : null,
    ]),
  );
  return { projects: projects ?? [], preview, filters, done: url.searchParams.get("done") };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const org = params.slug!;
  const filters = filtersOf((n) => f[n]);
  const result = await attempt(request, () => context.api.time.reprice({ org, ...filters, token: f.token ?? "" }));
  if (!result.ok) return result;
  throw redirect(`?done=${result.data.count}`);
}

export default function Reprice() {
  const { currency } = useOrgAccess();
  const money = (minor: number) => formatMoney(minor, currency);
  const { projects, preview, filters, done } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  return (
    <div className="card" aria-label="Re-price unbilled time">
      <h2 style={{ marginTop: 0 }}>Re-price unbilled time</h2>
      <p className="muted">
        Each entry keeps the rate it was logged at, whatever rates change later. Here unbilled entries can take today&apos;s rates instead:
        preview which entries change and by how much, then apply exactly that.
      </p>
      {done !== null && <p role="status">{done} entries now use today&apos;s rates.</p>}
      <FormMessage result={result} />
      <Form method="get" className="toolbar">
        <input type="hidden" name="preview" value="1" />
        <select name="projectId" aria-label="Project" defaultValue={filters.projectId ?? ""}>
          <option value="">Every project</option>
          {projects.map((p) => (
            <option key={p.id} value={p.id}>
              {p.client_name}: {p.name}
            </option>
          ))}
        </select>
        <label>
          From <input type="date" name="from" defaultValue={filters.from ?? ""} />
        </label>
        <label>
          To <input type="date" name="to" defaultValue={filters.to ?? ""} />
        </label>
        <button type="submit" className="secondary">
          Preview
        </button>
        <Link to="..">Close</Link>
      </Form>
      {preview &&
        (preview.count === 0 ? (
          <p>Every unbilled entry here already uses today&apos;s rate.</p>
        ) : (
          <>
            <table>
              <thead>
                <tr>
                  <th>Date</th>
                  <th>Person</th>
                  <th>Project</th>
                  <th>Hours</th>
                  <th>Rate now → today</th>
                  <th>Amount now → after</th>
                </tr>
              </thead>
              <tbody>
                {preview.entries.map((e) => (
                  <tr key={e.id}>
                    <td>{e.date}</td>
                    <td>{e.member_name ?? "Former member"}</td>
                    <td>{e.project_name}</td>
                    <td>{formatHours(e.duration_seconds)}</td>
                    <td>
                      {money(e.hourly_rate)} → {money(e.new_rate)}
                    </td>
                    <td>
                      {money(e.amount)} → {money(e.new_amount)}
                      {!e.billable && <small className="muted"> (not billable)</small>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Form method="post" className="toolbar">
              <input type="hidden" name="token" value={preview.token} />
              {filters.projectId && <input type="hidden" name="projectId" value={filters.projectId} />}
              {filters.from && <input type="hidden" name="from" value={filters.from} />}
              {filters.to && <input type="hidden" name="to" value={filters.to} />}
              <button type="submit" disabled={busy}>
                Re-price {preview.count} {preview.count === 1 ? "entry" : "entries"}: {money(preview.amount)} → {money(preview.newAmount)}
              </button>
            </Form>
          </>
        ))}
    </div>
  );
}
