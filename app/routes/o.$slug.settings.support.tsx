import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { PostButton } from "~/components/post-button";
import { attempt, readForm, formObject, load } from "~/lib/api.server";
import { formatDateTime } from "~/lib/format";

const DURATIONS = [
  [1, "1 hour"],
  [4, "4 hours"],
  [24, "24 hours"],
  [72, "3 days"],
  [168, "7 days"],
] as const;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const grants = await load(request, () => context.api.support.listGrants({ org: params.slug! }));
  return { grants };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const org = params.slug!;
  if (f.intent === "revoke") {
    return { intent: "revoke" as const, ...(await attempt(request, () => context.api.support.revokeGrant({ org, id: f.id ?? "" }))) };
  }
  const result = await attempt(request, () =>
    context.api.support.createGrant({
      org,
      scope: f.scope === "write" ? "write" : "read",
      hours: Number(f.hours),
      reason: f.reason ?? "",
      emailSupport: f.emailSupport === "yes",
    }),
  );
  return { intent: "create" as const, ...result };
}

const STATE_LABEL = { waiting: "Not used yet", active: "In use", expired: "Expired", revoked: "Revoked" } as const;

export default function SupportAccess() {
  const { grants } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  const created = result?.intent === "create" && result.ok ? result.data : null;
  return (
    <div>
      <h1>Support access</h1>
      <p className="muted">
        Our support staff can enter this organisation only through a link you create here, for the time and scope you choose. You can revoke
        it at any moment; everything support does is in the audit log.
      </p>
      {created && (
        <div className="card notice" role="status">
          <p>
            <strong>Copy this link now: it is shown only once.</strong> It gives {created.scope === "read" ? "read-only" : "read and write"}{" "}
            access until {formatDateTime(created.expiresAt)}.
          </p>
          <input readOnly aria-label="Support link" value={created.link} className="link-box" onFocus={(e) => e.currentTarget.select()} />
          {created.emailedTo && <p>Also emailed to {created.emailedTo}.</p>}
        </div>
      )}
      <Form method="post" className="card narrow">
        <h2>Grant access</h2>
        {result?.intent === "create" && <FormMessage result={result} />}
        <Field name="scope" label="Scope" result={result?.intent === "create" ? result : undefined}>
          <select id="f-scope" name="scope" defaultValue="read">
            <option value="read">Read only</option>
            <option value="write">Read and write</option>
          </select>
        </Field>
        <Field name="hours" label="Duration" result={result?.intent === "create" ? result : undefined}>
          <select id="f-hours" name="hours" defaultValue="24">
            {DURATIONS.map(([h, label]) => (
              <option key={h} value={h}>
                {label}
              </option>
            ))}
          </select>
        </Field>
        <Field name="reason" label="Reason" result={result?.intent === "create" ? result : undefined}>
          <textarea id="f-reason" name="reason" required maxLength={500} placeholder="e.g. Ticket #123: invoice totals look wrong" />
        </Field>
        <label className="field">
          <span>
            <input type="checkbox" name="emailSupport" value="yes" /> Also email the link to the support team
          </span>
        </label>
        <button type="submit" disabled={busy}>
          Create support link
        </button>
      </Form>
      <h2>Grants</h2>
      {result?.intent === "revoke" && !result.ok && <FormMessage result={result} />}
      {grants.length === 0 ? (
        <p className="muted">No support access has been granted.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Created</th>
              <th>Scope</th>
              <th>Reason</th>
              <th>Status</th>
              <th>Used by</th>
              <th>Ends</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {grants.map((g) => (
              <tr key={g.id}>
                <td>
                  {formatDateTime(g.created_at)}
                  <br />
                  <span className="muted">by {g.created_by_name ?? "?"}</span>
                </td>
                <td>{g.scope === "read" ? "Read only" : "Read and write"}</td>
                <td>{g.reason}</td>
                <td>{STATE_LABEL[g.state]}</td>
                <td>{g.redeemed_by_name ? `${g.redeemed_by_name} (${g.redeemed_by_email}), ${formatDateTime(g.redeemed_at!)}` : "—"}</td>
                <td>{formatDateTime(g.revoked_at ?? g.expires_at)}</td>
                <td>
                  {(g.state === "waiting" || g.state === "active") && (
                    <PostButton fields={{ intent: "revoke", id: g.id }} className="danger">
                      Revoke
                    </PostButton>
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
