import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { PostButton } from "~/components/post-button";
import { LoginHistory } from "~/components/login-history";
import { attempt, readForm, formObject, load } from "~/lib/api.server";
import { formatDateTime } from "~/lib/format";
import { cursorParam } from "~/lib/log-views";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const sessions = await load(request, () => context.api.account.sessions());
  const cursor = cursorParam(new URL(request.url).searchParams, "history");
  const history = await load(request, () => context.api.security.myHistory({ limit: 20, cursor }));
  return { viewer: context.viewer!, sessions, history };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const api = context.api.account;
  switch (f.intent) {
    case "password": {
      const r = await attempt(request, () =>
        api.changePassword({ currentPassword: f.currentPassword ?? "", newPassword: f.newPassword ?? "" }),
      );
      return { intent: "password", ...r };
    }
    case "revoke":
      return { intent: "revoke", ...(await attempt(request, () => api.revokeSession({ id: f.id ?? "" }))) };
    case "delete": {
      const r = await attempt(request, () => api.delete({ password: f.password ?? "", confirm: f.confirm ?? "" }));
      // The API already cleared the session cookie; the login page says what happened.
      if (r.ok) throw redirect("/login?deleted=1");
      return { intent: "delete", ...r };
    }
    case "resend":
      return { intent: "resend", ...(await attempt(request, () => context.api.auth.resendVerification())) };
    default:
      return { intent: "unknown", ok: false as const, message: "Unknown action.", fieldErrors: {} };
  }
}

export default function Account() {
  const { viewer, sessions, history } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  return (
    <div>
      <h1>Your account</h1>
      {params.get("welcome") && !viewer.emailVerified && (
        <p className="notice">Welcome! We sent a confirmation link to {viewer.email}. Open it to start using organisations.</p>
      )}
      <div className="card">
        <p>
          <strong>{viewer.name}</strong> · {viewer.email} · {viewer.emailVerified ? "email confirmed" : "email not confirmed yet"}
          {viewer.isStaff && " · platform operator"}
        </p>
        {!viewer.emailVerified && (
          <Form method="post">
            <input type="hidden" name="intent" value="resend" />
            <button type="submit" className="secondary">
              Send the confirmation link again
            </button>
            {result?.intent === "resend" && result.ok && <span className="muted"> Sent.</span>}
          </Form>
        )}
      </div>

      <h2>Change password</h2>
      <Form method="post" className="card narrow">
        <input type="hidden" name="intent" value="password" />
        {result?.intent === "password" &&
          (result.ok ? <p className="notice">Password changed. Your other sessions were signed out.</p> : <FormMessage result={result} />)}
        <Field
          name="currentPassword"
          label="Current password"
          type="password"
          result={result?.intent === "password" ? result : undefined}
          required
          autoComplete="current-password"
        />
        <Field
          name="newPassword"
          label="New password"
          type="password"
          result={result?.intent === "password" ? result : undefined}
          required
          autoComplete="new-password"
          hint="Changing it signs out every other session."
        />
        <button type="submit">Change password</button>
      </Form>

      <h2>Active sessions</h2>
      {result?.intent === "revoke" && !result.ok && <FormMessage result={result} />}
      <table>
        <thead>
          <tr>
            <th>Device</th>
            <th>IP</th>
            <th>Signed in</th>
            <th>Last seen</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={s.id}>
              <td>
                {s.user_agent ?? "unknown"}
                {s.current && <strong> (this session)</strong>}
              </td>
              <td>{s.ip}</td>
              <td>{formatDateTime(s.created_at)}</td>
              <td>{formatDateTime(s.last_seen_at)}</td>
              <td>{!s.current && <PostButton fields={{ intent: "revoke", id: s.id }}>End</PostButton>}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <LoginHistory history={history} />

      <h2>Your data</h2>
      <div className="card">
        <p>
          Everything opslayer holds about you (account, memberships, sessions, login history, and what you wrote in each organisation) as
          one JSON file.
        </p>
        <a href="/account/export" download className="button secondary">
          Download my data
        </a>
      </div>

      <h2>Delete account</h2>
      <Form method="post" className="card narrow">
        <input type="hidden" name="intent" value="delete" />
        <p>
          Your name, email address and password are removed and every session ends. What you did in your organisations (tasks, comments,
          time, the audit log) stays, shown under an anonymous name such as <code>deleted-user-7f3a</code>. What other people wrote about
          you (a client contact, a note, an invoice) belongs to their organisation: ask its administrators if you want it changed. This
          cannot be undone. If you are the last owner of an organisation, make someone else an owner first.
        </p>
        {result?.intent === "delete" && !result.ok && <FormMessage result={result} />}
        <Field
          name="password"
          label="Your password"
          type="password"
          result={result?.intent === "delete" ? result : undefined}
          required
          autoComplete="current-password"
        />
        <Field
          name="confirm"
          label={`Type your email address (${viewer.email}) to confirm`}
          result={result?.intent === "delete" ? result : undefined}
          required
          autoComplete="off"
        />
        <button type="submit" className="danger">
          Delete my account
        </button>
      </Form>
    </div>
  );
}
