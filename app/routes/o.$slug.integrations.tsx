import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { FormMessage } from "~/components/form";
import { PostButton } from "~/components/post-button";
import { attempt, readForm, formText, load } from "~/lib/api.server";
import { formatDateTime } from "~/lib/format";
import { useOrgAccess } from "~/lib/permissions";

/**
 * Connected services and servers (the credentials vault). Secrets are write-only: this page sends
 * them and never receives them; it shows the mask the API answers ("••••" and the last 4).
 */

const SERVICE_KINDS = ["github", "gitlab", "stripe", "aws", "google", "slack", "other"] as const;
const ENVIRONMENTS = ["production", "staging", "development", "other"] as const;
const CREDENTIAL_LABEL = {
  api_key: "API key",
  oauth: "OAuth token pair",
  basic: "Username and password",
  ssh_key: "SSH private key",
} as const;
type CredentialType = keyof typeof CREDENTIAL_LABEL;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const [services, servers] = await load(request, () =>
    Promise.all([context.api.connections.list({ org }), context.api.servers.list({ org })]),
  );
  const serverId = new URL(request.url).searchParams.get("server");
  const selected = serverId ? (servers.find((s) => s.id === serverId) ?? null) : null;
  const logs = selected ? await load(request, () => context.api.servers.logs({ org, serverId: selected.id, limit: 20 })) : [];
  return { services, servers, selected, logs };
}

/** The credential object the API expects, from the form's fields; empty secret = no credential. */
function credentialFrom(form: FormData) {
  const text = (name: string) => formText(form, name);
  const type = text("credentialType") as CredentialType;
  const secret = text("secret");
  if (!secret) return undefined;
  switch (type) {
    case "oauth": {
      const expires = text("expiresAt");
      return {
        type,
        accessToken: secret,
        refreshToken: text("refreshToken") || null,
        expiresAt: expires ? Date.parse(`${expires}T00:00:00Z`) : null,
      };
    }
    case "basic":
      return { type, username: text("username"), password: secret };
    case "ssh_key":
      return { type, privateKey: secret };
    default:
      return { type: "api_key" as const, apiKey: secret };
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const org = params.slug!;
  const text = (name: string) => formText(form, name);
  const intent = text("intent");
  const credential = credentialFrom(form) as never;
  const api = context.api;
  const run = <T,>(call: () => Promise<T>) => attempt(request, call);
  const result = await (() => {
    switch (intent) {
      case "create-service":
        return run(() =>
          api.connections.create({ org, kind: text("kind") as never, name: text("name"), baseUrl: text("baseUrl") || null, credential }),
        );
      case "replace-service":
        return run(() => api.connections.update({ org, id: text("id"), credential }));
      case "delete-service":
        return run(() => api.connections.delete({ org, id: text("id") }));
      case "create-server":
        return run(() =>
          api.servers.create({ org, name: text("name"), host: text("host"), environment: text("environment") as never, credential }),
        );
      case "replace-server":
        return run(() => api.servers.update({ org, id: text("id"), credential }));
      case "delete-server":
        return run(() => api.servers.delete({ org, id: text("id") }));
      case "append-log":
        return run(() =>
          api.servers.appendLog({ org, serverId: text("id"), action: text("action"), outcome: text("outcome") as never, log: text("log") }),
        );
      default:
        return Promise.resolve({ ok: false as const, message: "Unknown action.", fieldErrors: {} });
    }
  })();
  // Only whether it worked goes back to the page: never an echo of what was typed.
  return { intent, ok: result.ok, ...(result.ok ? {} : { message: result.message, fieldErrors: result.fieldErrors }) };
}

function CredentialFields({ types, required }: { types: readonly CredentialType[]; required: boolean }) {
  return (
    <>
      <label className="field">
        <span>Credential type</span>
        <select name="credentialType" defaultValue={types[0]}>
          {types.map((t) => (
            <option key={t} value={t}>
              {CREDENTIAL_LABEL[t]}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Username (username and password only)</span>
        <input name="username" autoComplete="off" maxLength={200} />
      </label>
      <label className="field">
        <span>Secret (API key, access token, password or private key)</span>
        <textarea name="secret" required={required} autoComplete="off" spellCheck={false} rows={3} maxLength={16384} />
      </label>
      {types.includes("oauth") && (
        <>
          <label className="field">
            <span>Refresh token (OAuth only)</span>
            <input name="refreshToken" type="password" autoComplete="off" />
          </label>
          <label className="field">
            <span>Access token expires (OAuth only)</span>
            <input name="expiresAt" type="date" />
          </label>
        </>
      )}
    </>
  );
}

export default function Integrations() {
  const { services, servers, selected, logs } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  const manage = useOrgAccess().can("integration.manage");
  const failure = (intent: string) => (result && result.intent === intent ? result : undefined);
  return (
    <div>
      <h1>Integrations</h1>
      <p className="muted">
        Secrets are stored encrypted and are never shown again: you see only the last 4 characters. Replacing a secret overwrites it.
      </p>

      <h2>Connected services</h2>
      {["replace-service", "delete-service"].map((i) => failure(i) && <FormMessage key={i} result={failure(i)} />)}
      {services.length === 0 ? (
        <p className="muted">No connected services yet.</p>
      ) : (
        <table aria-label="Connected services">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Credential</th>
              <th>Secret</th>
              {manage && <th />}
            </tr>
          </thead>
          <tbody>
            {services.map((s) => (
              <tr key={s.id}>
                <td>
                  {s.name}
                  {s.baseUrl && (
                    <>
                      <br />
                      <span className="muted">{s.baseUrl}</span>
                    </>
                  )}
                </td>
                <td>{s.kind}</td>
                <td>
                  {CREDENTIAL_LABEL[s.credentialType]}
                  {s.oauthExpiresAt !== null && (
                    <>
                      <br />
                      <span className="muted">expires {formatDateTime(s.oauthExpiresAt)}</span>
                    </>
                  )}
                </td>
                <td>
                  <code>{s.secretHint}</code>
                </td>
                {manage && (
                  <td>
                    <details>
                      <summary>Replace secret</summary>
                      <Form method="post">
                        <input type="hidden" name="intent" value="replace-service" />
                        <input type="hidden" name="id" value={s.id} />
                        <CredentialFields
                          types={[
                            s.credentialType,
                            ...(["api_key", "oauth", "basic", "ssh_key"] as const).filter((t) => t !== s.credentialType),
                          ]}
                          required
                        />
                        <button type="submit" disabled={busy}>
                          Replace
                        </button>
                      </Form>
                    </details>
                    <PostButton fields={{ intent: "delete-service", id: s.id }} className="danger" disabled={busy}>
                      Delete
                    </PostButton>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {manage && (
        <Form method="post" className="card narrow">
          <h3>Connect a service</h3>
          <FormMessage result={failure("create-service")} />
          <input type="hidden" name="intent" value="create-service" />
          <label className="field">
            <span>Kind</span>
            <select name="kind" defaultValue="github">
              {SERVICE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Name</span>
            <input name="name" required maxLength={200} />
          </label>
          <label className="field">
            <span>Base URL (optional)</span>
            <input name="baseUrl" type="url" maxLength={2000} />
          </label>
          <CredentialFields types={["api_key", "oauth", "basic", "ssh_key"]} required />
          <button type="submit" disabled={busy}>
            Connect
          </button>
        </Form>
      )}

      <h2>Servers</h2>
      {["replace-server", "delete-server"].map((i) => failure(i) && <FormMessage key={i} result={failure(i)} />)}
      {servers.length === 0 ? (
        <p className="muted">No servers yet.</p>
      ) : (
        <table aria-label="Servers">
          <thead>
            <tr>
              <th>Name</th>
              <th>Host</th>
              <th>Environment</th>
              <th>Secret</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {servers.map((s) => (
              <tr key={s.id}>
                <td>{s.name}</td>
                <td>
                  <code>{s.host}</code>
                </td>
                <td>{s.environment}</td>
                <td>
                  {CREDENTIAL_LABEL[s.credentialType]} <code>{s.secretHint}</code>
                </td>
                <td>
                  <Link to={`?server=${s.id}`}>Logs</Link>
                  {manage && (
                    <>
                      <details>
                        <summary>Replace secret</summary>
                        <Form method="post">
                          <input type="hidden" name="intent" value="replace-server" />
                          <input type="hidden" name="id" value={s.id} />
                          <CredentialFields
                            types={[s.credentialType, ...(["basic", "ssh_key", "api_key"] as const).filter((t) => t !== s.credentialType)]}
                            required
                          />
                          <button type="submit" disabled={busy}>
                            Replace
                          </button>
                        </Form>
                      </details>
                      <PostButton fields={{ intent: "delete-server", id: s.id }} className="danger" disabled={busy}>
                        Delete
                      </PostButton>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {manage && (
        <Form method="post" className="card narrow">
          <h3>Add a server</h3>
          <FormMessage result={failure("create-server")} />
          <input type="hidden" name="intent" value="create-server" />
          <label className="field">
            <span>Name</span>
            <input name="name" required maxLength={200} />
          </label>
          <label className="field">
            <span>Host</span>
            <input name="host" required maxLength={253} placeholder="web-1.example.com:22" />
          </label>
          <label className="field">
            <span>Environment</span>
            <select name="environment" defaultValue="production">
              {ENVIRONMENTS.map((e) => (
                <option key={e} value={e}>
                  {e}
                </option>
              ))}
            </select>
          </label>
          <CredentialFields types={["ssh_key", "basic", "api_key"]} required />
          <button type="submit" disabled={busy}>
            Add server
          </button>
        </Form>
      )}

      {selected && (
        <section aria-label={`Logs of ${selected.name}`}>
          <h2>Logs of {selected.name}</h2>
          {manage && (
            <Form method="post" className="card narrow">
              <FormMessage result={failure("append-log")} />
              <input type="hidden" name="intent" value="append-log" />
              <input type="hidden" name="id" value={selected.id} />
              <label className="field">
                <span>Action</span>
                <input name="action" required maxLength={200} placeholder="deploy v1.2.0" />
              </label>
              <label className="field">
                <span>Outcome</span>
                <select name="outcome" defaultValue="success">
                  <option value="success">Success</option>
                  <option value="failure">Failure</option>
                  <option value="running">Running</option>
                </select>
              </label>
              <label className="field">
                <span>Log (up to 100 KB)</span>
                <textarea name="log" rows={4} />
              </label>
              <button type="submit" disabled={busy}>
                Append
              </button>
            </Form>
          )}
          {logs.length === 0 ? (
            <p className="muted">No log entries yet.</p>
          ) : (
            <ul className="plain">
              {logs.map((l) => (
                <li key={l.id}>
                  <strong>{l.action}</strong> — {l.outcome}, {formatDateTime(l.at)}
                  {l.log && <pre>{l.log}</pre>}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </div>
  );
}
