import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { attempt, readForm, formText, load } from "~/lib/api.server";
import { formatDateTime } from "~/lib/format";
import { WEBHOOK_EVENTS } from "../../server/webhooks/events";

/**
 * Outgoing webhooks (webhook.manage). The signing secret is answered by create and rotateSecret
 * only, once: this page shows it from the action's answer and never receives it again.
 *
 * Each webhook sends what its owner can see now (issue 25); the table says whose sight that is, and
 * an admin takes ownership here. Delivery bodies are shown as the reader may see them.
 */

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const webhooks = await load(request, () => context.api.webhooks.list({ org }));
  const me = await load(request, () => context.api.members.me({ org }));
  const selectedId = new URL(request.url).searchParams.get("webhook");
  const selected = selectedId ? (webhooks.find((w) => w.id === selectedId) ?? null) : null;
  const deliveries = selected ? await load(request, () => context.api.webhooks.deliveries({ org, webhookId: selected.id, limit: 50 })) : [];
  // The event list is read from the server module (loader only), so the checkboxes match what create accepts.
  return { webhooks, selected, deliveries, events: [...WEBHOOK_EVENTS], myId: me.userId };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const org = params.slug!;
  const text = (name: string) => formText(form, name);
  const api = context.api.webhooks;
  const id = text("id");
  switch (text("intent")) {
    case "create": {
      const events = form.getAll("events").map(String) as (typeof WEBHOOK_EVENTS)[number][];
      const result = await attempt(request, () => api.create({ org, url: text("url"), events, active: form.get("active") === "on" }));
      return {
        intent: "create" as const,
        ...(result.ok ? { ok: true as const, data: { url: result.data.webhook.url, secret: result.data.secret } } : result),
      };
    }
    case "rotate": {
      const result = await attempt(request, () => api.rotateSecret({ org, id }));
      return { intent: "rotate" as const, ...result };
    }
    case "pause":
    case "resume":
      return { intent: "update" as const, ...(await attempt(request, () => api.update({ org, id, active: text("intent") === "resume" }))) };
    case "delete":
      return { intent: "delete" as const, ...(await attempt(request, () => api.delete({ org, id }))) };
    case "take":
      return { intent: "update" as const, ...(await attempt(request, () => api.takeOwnership({ org, id }))) };
    case "redeliver":
      return { intent: "redeliver" as const, ...(await attempt(request, () => api.redeliver({ org, id }))) };
    default:
      return { intent: "unknown" as const, ok: false as const, message: "Unknown action.", fieldErrors: {} };
  }
}

function Intent({
  name,
  id,
  label,
  className,
  confirm,
  disabled,
}: {
  name: string;
  id: string;
  label: string;
  className?: string;
  confirm?: string;
  disabled?: boolean;
}) {
  return (
    <Form
      method="post"
      style={{ display: "inline" }}
      onSubmit={(e) => (confirm && !window.confirm(confirm) ? e.preventDefault() : undefined)}
    >
      <input type="hidden" name="intent" value={name} />
      <input type="hidden" name="id" value={id} />
      <button type="submit" className={className ?? "secondary"} disabled={disabled}>
        {label}
      </button>
    </Form>
  );
}

const STATUS_LABEL = { pending: "Pending", delivered: "Delivered", failed: "Failed", skipped: "Not sent" } as const;

function sight(owner: { id: string; name: string | null } | null) {
  if (!owner) return "No owner: sends nothing until an admin takes ownership.";
  if (owner.name === null) return "Its owner is no longer a member: sends nothing until an admin takes ownership.";
  return `Sends what ${owner.name} can see.`;
}

export default function Webhooks() {
  const { webhooks, selected, deliveries, events, myId } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  const createResult = result?.intent === "create" ? result : undefined;
  const secret =
    result?.intent === "create" && result.ok
      ? { secret: result.data.secret, what: `the new webhook to ${result.data.url}` }
      : result?.intent === "rotate" && result.ok
        ? {
            secret: result.data.secret,
            what: `the webhook to ${webhooks.find((w) => w.id === result.data.id)?.url ?? result.data.id} (the old secret no longer works)`,
          }
        : null;
  const otherFailure = result && result.intent !== "create" && !result.ok ? result : undefined;
  return (
    <div>
      <h1>Webhooks</h1>
      <p className="muted">
        Opslayer sends a signed <code>POST</code> with a JSON body to each active webhook subscribed to an event. A receiver should answer
        2xx within 5 seconds; anything else is retried with growing waits, up to 6 attempts, and then marked failed.
      </p>
      <p className="muted">
        A webhook acts as the member who created it (or took it over): each event is sent only if that member can see it at the time of
        sending, without the fields their role hides, such as rates. When the owner leaves, is removed or loses the permission to manage
        webhooks, the webhook is paused and everyone who manages webhooks gets an email.
      </p>
      {secret && (
        <div className="card notice" role="status">
          <p>
            <strong>Copy this signing secret now: it is shown only once.</strong> It signs deliveries to {secret.what}.
          </p>
          <input
            readOnly
            aria-label="Signing secret"
            value={secret.secret}
            className="link-box"
            onFocus={(e) => e.currentTarget.select()}
          />
          <p className="muted">
            To verify a delivery, compute <code>HMAC_SHA256(secret, "&lt;X-Opslayer-Timestamp&gt;.&lt;body&gt;")</code> in hex over the raw
            request body and compare it, in constant time, with <code>X-Opslayer-Signature: sha256=…</code>. Reject timestamps more than a
            few minutes old.
          </p>
        </div>
      )}
      <Form method="post" className="card narrow">
        <h2>New webhook</h2>
        {createResult && <FormMessage result={createResult} />}
        <Field name="url" label="Payload URL" result={createResult} hint="A public https:// address.">
          <input id="f-url" name="url" type="url" required maxLength={2000} placeholder="https://example.com/hooks/opslayer" />
        </Field>
        <fieldset>
          <legend>Events</legend>
          {events.map((e) => (
            <label key={e} className="field">
              <span>
                <input type="checkbox" name="events" value={e} /> <code>{e}</code>
              </span>
            </label>
          ))}
          {createResult &&
            !createResult.ok &&
            createResult.fieldErrors.events?.map((m) => (
              <small key={m} className="field-error">
                {m}
              </small>
            ))}
        </fieldset>
        <label className="field">
          <span>
            <input type="checkbox" name="active" defaultChecked /> Active (send deliveries)
          </span>
        </label>
        <input type="hidden" name="intent" value="create" />
        <button type="submit" disabled={busy}>
          Create webhook
        </button>
      </Form>
      <h2>Webhooks</h2>
      {otherFailure && <FormMessage result={otherFailure} />}
      {webhooks.length === 0 ? (
        <p className="muted">No webhooks yet.</p>
      ) : (
        <table aria-label="Webhooks">
          <thead>
            <tr>
              <th>URL</th>
              <th>Events</th>
              <th>Sight</th>
              <th>Status</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {webhooks.map((w) => (
              <tr key={w.id}>
                <td>
                  <code>{w.url}</code>
                </td>
                <td>{w.events.join(", ")}</td>
                <td>{sight(w.owner)}</td>
                <td>
                  {w.active ? "Active" : "Paused"}
                  {w.paused_reason && <small className="muted"> — {w.paused_reason}</small>}
                </td>
                <td>{formatDateTime(w.created_at)}</td>
                <td>
                  <Link to={`?webhook=${w.id}`}>Deliveries</Link>{" "}
                  {w.owner?.id !== myId && (
                    <Intent
                      name="take"
                      id={w.id}
                      label="Take ownership"
                      disabled={busy}
                      confirm="Take ownership? From now on this webhook sends what you can see, and the change is recorded in the audit log."
                    />
                  )}{" "}
                  <Intent name={w.active ? "pause" : "resume"} id={w.id} label={w.active ? "Pause" : "Resume"} disabled={busy} />{" "}
                  <Intent
                    name="rotate"
                    id={w.id}
                    label="Rotate secret"
                    disabled={busy}
                    confirm="Rotate the signing secret? The current one stops working at once."
                  />{" "}
                  <Intent
                    name="delete"
                    id={w.id}
                    label="Delete"
                    className="danger"
                    disabled={busy}
                    confirm={`Delete the webhook to ${w.url}? Its delivery log goes with it.`}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected && (
        <section aria-label="Deliveries">
          <h2>
            Deliveries to <code>{selected.url}</code>
          </h2>
          <p>
            <Link to=".">Close</Link>
            {!selected.active && <span className="muted"> · Paused: resume it to send or redeliver.</span>}
          </p>
          {deliveries.length === 0 ? (
            <p className="muted">No deliveries yet.</p>
          ) : (
            <table aria-label="Delivery log">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Event</th>
                  <th>Status</th>
                  <th>Attempts</th>
                  <th>Last code</th>
                  <th>Duration</th>
                  <th>Error</th>
                  <th>Body</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {deliveries.map((d) => (
                  <tr key={d.id}>
                    <td>{formatDateTime(d.created_at)}</td>
                    <td>
                      <code>{d.event}</code>
                    </td>
                    <td>
                      {STATUS_LABEL[d.status]}
                      {d.status === "pending" && d.next_attempt_at !== null && (
                        <span className="muted"> (next {formatDateTime(d.next_attempt_at)})</span>
                      )}
                    </td>
                    <td>{d.attempts}</td>
                    <td>{d.status_code ?? "—"}</td>
                    <td>{d.duration_ms === null ? "—" : `${d.duration_ms} ms`}</td>
                    <td>{d.error ?? ""}</td>
                    <td>
                      {d.payload === null ? (
                        <span className="muted">{d.payload_hidden}</span>
                      ) : (
                        <details>
                          <summary>Show</summary>
                          <pre>{d.payload}</pre>
                        </details>
                      )}
                    </td>
                    <td>
                      <Intent name="redeliver" id={d.id} label="Redeliver" disabled={busy || !selected.active} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </div>
  );
}
