import type { LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useLoaderData, useRevalidator, useSearchParams } from "@remix-run/react";
import { useState } from "react";
import { load } from "~/lib/api.server";
import { trpc } from "~/lib/trpc.client";
import { useOrgAccess } from "~/lib/permissions";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const includeArchived = url.searchParams.get("archived") === "1";
  const search = url.searchParams.get("q") ?? undefined;
  const clients = await load(request, () => context.api.clients.list({ org: params.slug!, includeArchived, search }));
  return { org: params.slug!, clients };
}

/** Archiving is an in-place toggle: the browser calls tRPC directly, then the list reloads. */
function ArchiveButton({ org, id, archived }: { org: string; id: string; archived: boolean }) {
  const revalidator = useRevalidator();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function toggle() {
    setBusy(true);
    setError(null);
    try {
      await trpc.clients.setArchived.mutate({ org, id, archived: !archived });
      revalidator.revalidate();
    } catch (e) {
      setError(e instanceof Error ? e.message : "Failed.");
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button type="button" className="secondary" disabled={busy} onClick={() => void toggle()}>
        {archived ? "Restore" : "Archive"}
      </button>
      {error && <small className="field-error"> {error}</small>}
    </>
  );
}

export default function Clients() {
  const { org, clients } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const access = useOrgAccess();
  return (
    <div>
      <div className="toolbar">
        <h1>Clients</h1>
        {access.can("client.create") && (
          <Link to="new" className="button">
            New client
          </Link>
        )}
      </div>
      <Form method="get" className="toolbar">
        <input name="q" type="search" placeholder="Search clients" defaultValue={params.get("q") ?? ""} aria-label="Search clients" />
        <label>
          <input type="checkbox" name="archived" value="1" defaultChecked={params.get("archived") === "1"} /> Show archived
        </label>
        <button type="submit" className="secondary">
          Filter
        </button>
      </Form>
      {clients.length === 0 ? (
        <p className="muted">No clients yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Contact</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {clients.map((c) => (
              <tr key={c.id} className={c.archived_at ? "archived" : undefined}>
                <td>
                  <Link to={c.id}>{c.name}</Link>
                  {c.archived_at && <span className="muted"> (archived)</span>}
                </td>
                <td>{c.contact_email ?? "—"}</td>
                <td>{access.can("client.archive") && <ArchiveButton org={org} id={c.id} archived={c.archived_at !== null} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
