import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { FormMessage } from "~/components/form";
import { attempt, load } from "~/lib/api.server";
import { formatDateTime } from "~/lib/format";

/**
 * Organisation data export (org.export). Starting one queues it; the list shows its progress,
 * refreshed while one is queued or running, and a download link until the link expires. The link
 * is a plain GET to /api/exports/<id>, authorised like the page itself.
 */

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const exports = await load(request, () => context.api.exports.list({ org: params.slug! }));
  return { exports };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  return attempt(request, () => context.api.exports.start({ org: params.slug! }));
}

/** How often the list is read again while an export is in progress. */
const REFRESH_MS = 1000;

const STATUS_LABEL = { queued: "Queued", running: "Running", done: "Ready", failed: "Failed", expired: "Expired" } as const;

function size(bytes: number | null) {
  if (bytes === null) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

export default function OrganisationExport() {
  const { exports } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  const revalidator = useRevalidator();
  const inProgress = exports.some((e) => e.status === "queued" || e.status === "running");

  useEffect(() => {
    if (!inProgress) return;
    const timer = setInterval(() => {
      if (revalidator.state === "idle") revalidator.revalidate();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [inProgress, revalidator]);

  return (
    <div>
      <h1>Export organisation data</h1>
      <p className="muted">
        A ZIP archive of everything this organisation holds: one JSON file per table (clients, projects, tasks, time, invoices, the audit
        log, …), every attached file, and a manifest with counts and SHA-256 checksums. Vault credentials and webhook secrets are not
        included. The archive is prepared in the background; its download link works for a limited time.
      </p>
      <Form method="post" className="card narrow">
        {result && <FormMessage result={result} />}
        <button type="submit" disabled={busy || inProgress}>
          {inProgress ? "Export in progress…" : "Export organisation data"}
        </button>
      </Form>
      <h2>Exports</h2>
      {exports.length === 0 ? (
        <p className="muted">No exports yet.</p>
      ) : (
        <table aria-label="Exports">
          <thead>
            <tr>
              <th>Requested</th>
              <th>Status</th>
              <th>Progress</th>
              <th>Size</th>
              <th>Available until</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {exports.map((e) => (
              <tr key={e.id}>
                <td>{formatDateTime(e.createdAt)}</td>
                <td>
                  {STATUS_LABEL[e.status]}
                  {e.error && <span className="muted"> — {e.error}</span>}
                </td>
                <td>
                  {(e.status === "queued" || e.status === "running") && (
                    <progress aria-label="Export progress" max={Math.max(e.total, 1)} value={e.total ? e.done : undefined}>
                      {e.total ? `${Math.floor((100 * e.done) / e.total)}%` : ""}
                    </progress>
                  )}
                  {e.status === "done" && "Complete"}
                </td>
                <td>{size(e.bytes)}</td>
                <td>
                  {e.status === "done" && e.expiresAt !== null ? formatDateTime(e.expiresAt) : e.status === "expired" ? "Link expired" : ""}
                </td>
                <td>
                  {e.downloadPath && (
                    <a href={e.downloadPath} download>
                      Download
                    </a>
                  )}
                  {e.sha256 && e.status === "done" && (
                    <small className="muted" title="SHA-256 of the ZIP file">
                      {" "}
                      sha256 <code>{e.sha256.slice(0, 12)}…</code>
                    </small>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
