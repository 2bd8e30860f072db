import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { PostButton } from "~/components/post-button";
import { attempt, readForm, formObject, load } from "~/lib/api.server";
import { formatDateTime } from "~/lib/format";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const orgs = await load(request, () => context.api.orgs.mine());
  const closed = await load(request, () => context.api.termination.closed());
  return { orgs, closed, verified: context.viewer?.emailVerified ?? false };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  if (f.intent === "restore") {
    const result = await attempt(request, () => context.api.termination.restore({ slug: f.slug ?? "" }));
    if (result.ok) throw redirect(`/o/${result.data.slug}`);
    return { intent: "restore" as const, ...result };
  }
  const result = await attempt(request, () => context.api.orgs.create({ name: f.name ?? "", slug: f.slug ?? "" }));
  if (result.ok) throw redirect(`/o/${result.data.slug}`);
  return { intent: "create" as const, ...result };
}

export default function Orgs() {
  const { orgs, closed, verified } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const busy = useNavigation().state !== "idle";
  const closedNotice = params.get("closed");
  return (
    <div>
      <h1>Your organisations</h1>
      {closedNotice && (
        <p className="notice" role="status">
          The organisation /o/{closedNotice} was closed. Its owners can restore it below until its data is destroyed.
        </p>
      )}
      {orgs.length === 0 ? (
        <p className="muted">You are not a member of any organisation yet.</p>
      ) : (
        <ul className="card">
          {orgs.map((o) => (
            <li key={o.slug}>
              <Link to={`/o/${o.slug}`}>{o.name}</Link> <span className="muted">/o/{o.slug}</span>
            </li>
          ))}
        </ul>
      )}

      {closed.length > 0 && (
        <>
          <h2>Closed organisations</h2>
          {result?.intent === "restore" && <FormMessage result={result} />}
          <table>
            <thead>
              <tr>
                <th>Organisation</th>
                <th>Closed</th>
                <th>Data destroyed on</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {closed.map((c) => (
                <tr key={c.slug}>
                  <td>
                    {c.name} <span className="muted">/o/{c.slug}</span>
                  </td>
                  <td>
                    {formatDateTime(c.closedAt)}
                    {c.closedByYou && " (by you)"}
                  </td>
                  <td>{formatDateTime(c.purgeAfter)}</td>
                  <td>
                    <PostButton fields={{ intent: "restore", slug: c.slug }} disabled={busy}>
                      Restore
                    </PostButton>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      <h2>Create an organisation</h2>
      <Form method="post" className="card narrow">
        <input type="hidden" name="intent" value="create" />
        <FormMessage result={result?.intent === "create" ? result : undefined} />
        <Field name="name" label="Name" result={result?.intent === "create" ? result : undefined} required maxLength={200} />
        <Field
          name="slug"
          label="Address"
          result={result?.intent === "create" ? result : undefined}
          required
          maxLength={40}
          hint="Lowercase letters, digits and hyphens: /o/your-agency"
        />
        <button type="submit" disabled={busy || !verified}>
          Create organisation
        </button>
        {!verified && <p className="muted">Confirm your email address first.</p>}
      </Form>
    </div>
  );
}
