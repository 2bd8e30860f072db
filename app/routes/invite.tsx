import { redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import accessCss from "~/components/access-control.css?url";
import { Field, FormMessage } from "~/components/form";
import { attempt, readForm, formObject } from "~/lib/api.server";
import { formatDateTime } from "~/lib/format";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: accessCss }];
export const meta: MetaFunction = () => [{ title: "Invitation · opslayer" }];

/** The page an invitation email links to: what is offered, then the one step that fits who is looking. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const token = url.searchParams.get("token") ?? "";
  const preview = await attempt(request, () => context.api.invitations.preview({ token }));
  return {
    token,
    here: url.pathname + url.search,
    preview: preview.ok ? preview.data : null,
    // "Not found", "expired", "already used": the API's own sentence (a malformed token has its field's).
    problem: preview.ok ? null : (preview.fieldErrors.token?.[0] ?? preview.message),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const token = f.token ?? "";
  if (f.intent === "logout") {
    await context.api.auth.logout();
    throw redirect(`/invite?token=${encodeURIComponent(token)}`);
  }
  const result =
    f.intent === "accept"
      ? await attempt(request, () => context.api.invitations.accept({ token }))
      : await attempt(request, () => context.api.invitations.acceptAsNewUser({ token, name: f.name ?? "", password: f.password ?? "" }));
  if (result.ok) throw redirect(`/o/${result.data.slug}`);
  return result;
}

type Preview = NonNullable<ReturnType<typeof useLoaderData<typeof loader>>["preview"]>;

function Offer({ p }: { p: Preview }) {
  return (
    <dl className="card facts">
      <dt>Organisation</dt>
      <dd>{p.orgName}</dd>
      <dt>Invited address</dt>
      <dd>{p.email}</dd>
      <dt>Role</dt>
      <dd>{p.roleName}</dd>
      <dt>Invited by</dt>
      <dd>{p.inviterName ?? "—"}</dd>
      <dt>Valid until</dt>
      <dd>{formatDateTime(p.expiresAt)}</dd>
    </dl>
  );
}

function TokenField({ token }: { token: string }) {
  return <input type="hidden" name="token" value={token} />;
}

function NextStep({ p, token, here, result }: { p: Preview; token: string; here: string; result: unknown }) {
  const busy = useNavigation().state !== "idle";
  if (p.signedInAs && p.signedInAs.toLowerCase() === p.email.toLowerCase()) {
    return (
      <Form method="post" className="card">
        <FormMessage result={result} />
        {p.accepted && <p>You have already joined {p.orgName}.</p>}
        <TokenField token={token} />
        <button type="submit" name="intent" value="accept" disabled={busy}>
          {p.accepted ? `Open ${p.orgName}` : `Accept and join ${p.orgName}`}
        </button>
      </Form>
    );
  }
  if (p.signedInAs) {
    return (
      <Form method="post" className="card">
        <FormMessage result={result} />
        <p>
          You are logged in as <strong>{p.signedInAs}</strong>, but this invitation is for <strong>{p.email}</strong>. Log out, then open
          the link again and log in (or create an account) with the invited address.
        </p>
        <TokenField token={token} />
        <button type="submit" name="intent" value="logout" className="secondary" disabled={busy}>
          Log out
        </button>
      </Form>
    );
  }
  if (p.hasAccount) {
    return (
      <div className="card">
        <p>There is already an account for {p.email}. Log in with it to accept.</p>
        <Link to={`/login?next=${encodeURIComponent(here)}`} className="button">
          Log in to accept
        </Link>
      </div>
    );
  }
  return (
    <Form method="post" className="card">
      <h2>Create your account</h2>
      <FormMessage result={result} />
      <p className="muted">Your account will use {p.email}; the invitation proves the address, so no confirmation email is needed.</p>
      <TokenField token={token} />
      <Field name="name" label="Your name" result={result} required autoComplete="name" />
      <Field
        name="password"
        label="Password"
        type="password"
        result={result}
        required
        autoComplete="new-password"
        hint="12 to 128 characters; a long phrase works well."
      />
      <button type="submit" name="intent" value="join" disabled={busy}>
        Create account and join
      </button>
    </Form>
  );
}

export default function Invite() {
  const { token, here, preview, problem } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  if (!preview) {
    return (
      <div className="narrow">
        <h1>Invitation</h1>
        <p role="alert" className="form-error">
          {problem}
        </p>
        <p>Ask the person who invited you to send a new invitation.</p>
      </div>
    );
  }
  return (
    <div className="narrow">
      <h1>Join {preview.orgName}</h1>
      <p>
        {preview.inviterName ?? "Someone"} invited {preview.email} to {preview.orgName} as {preview.roleName}.
      </p>
      <Offer p={preview} />
      <NextStep p={preview} token={token} here={here} result={result} />
    </div>
  );
}
