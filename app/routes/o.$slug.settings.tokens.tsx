import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { PostButton } from "~/components/post-button";
import { attempt, readForm, formText, load } from "~/lib/api.server";
import { formatDateTime } from "~/lib/format";
import { permissionGroups } from "~/lib/permission-groups.server";
import { useOrgAccess } from "~/lib/permissions";
import type { Permission } from "../../server/permissions/catalogue";

const EXPIRY = [
  [7, "7 days"],
  [30, "30 days"],
  [90, "90 days"],
  [365, "1 year"],
] as const;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const tokens = await load(request, () => context.api.apiTokens.list({ org: params.slug! }));
  return { tokens, groups: permissionGroups() };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const org = params.slug!;
  const text = (name: string) => formText(form, name);
  if (text("intent") === "revoke") {
    return { intent: "revoke" as const, ...(await attempt(request, () => context.api.apiTokens.revoke({ org, id: text("id") }))) };
  }
  // Names are checked against the catalogue (and the member's own permissions) by the procedure.
  const scopes = form.getAll("scopes").map(String) as Permission[];
  const result = await attempt(request, () =>
    context.api.apiTokens.create({ org, name: text("name"), scopes, expiresInDays: Number(text("expiresInDays")) }),
  );
  return { intent: "create" as const, ...result };
}

const STATE_LABEL = { active: "Active", expired: "Expired", revoked: "Revoked" } as const;

export default function ApiTokens() {
  const { tokens, groups } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  const access = useOrgAccess();
  const created = result?.intent === "create" && result.ok ? result.data : null;
  const createResult = result?.intent === "create" ? result : undefined;
  // Only what the member holds can be chosen; the server checks it again (and again on every use).
  const holdable = groups
    .map((g) => ({ ...g, permissions: g.permissions.filter((p) => access.can(p.key)) }))
    .filter((g) => g.permissions.length > 0);
  return (
    <div>
      <h1>API tokens</h1>
      <p className="muted">
        A personal token lets a script call this organisation's API as you: send it as <code>Authorization: Bearer …</code>. It can do only
        what you choose below and what your role still allows; it stops working when it expires, when you revoke it, or when you leave the
        organisation.
      </p>
      {created && (
        <div className="card notice" role="status">
          <p>
            <strong>Copy this token now: it is shown only once.</strong> “{created.name}” works until {formatDateTime(created.expiresAt)}.
          </p>
          <input readOnly aria-label="API token" value={created.token} className="link-box" onFocus={(e) => e.currentTarget.select()} />
        </div>
      )}
      <Form method="post" className="card narrow">
        <h2>New token</h2>
        {createResult && <FormMessage result={createResult} />}
        <Field name="name" label="Name" result={createResult}>
          <input id="f-name" name="name" required maxLength={100} placeholder="e.g. Deploy script" />
        </Field>
        <Field name="expiresInDays" label="Expires after" result={createResult}>
          <select id="f-expiresInDays" name="expiresInDays" defaultValue="30">
            {EXPIRY.map(([days, label]) => (
              <option key={days} value={days}>
                {label}
              </option>
            ))}
          </select>
        </Field>
        <fieldset>
          <legend>Scopes</legend>
          {holdable.map((g) => (
            <div key={g.group}>
              <strong>{g.group}</strong>
              {g.permissions.map((p) => (
                <label key={p.key} className="field">
                  <span>
                    <input type="checkbox" name="scopes" value={p.key} /> {p.label}
                  </span>
                </label>
              ))}
            </div>
          ))}
        </fieldset>
        <button type="submit" disabled={busy}>
          Create token
        </button>
      </Form>
      <h2>Your tokens</h2>
      {result?.intent === "revoke" && !result.ok && <FormMessage result={result} />}
      {tokens.length === 0 ? (
        <p className="muted">You have no API tokens in this organisation.</p>
      ) : (
        <table aria-label="API tokens">
          <thead>
            <tr>
              <th>Name</th>
              <th>Scopes</th>
              <th>Status</th>
              <th>Last used</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id}>
                <td>
                  {t.name}
                  <br />
                  <span className="muted">created {formatDateTime(t.createdAt)}</span>
                </td>
                <td>{t.scopes.join(", ")}</td>
                <td>{STATE_LABEL[t.state]}</td>
                <td>{t.lastUsedAt ? formatDateTime(t.lastUsedAt) : "Never"}</td>
                <td>{formatDateTime(t.revokedAt ?? t.expiresAt)}</td>
                <td>
                  {t.state === "active" && (
                    <PostButton fields={{ intent: "revoke", id: t.id }} className="danger">
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
