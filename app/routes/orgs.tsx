import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { attempt, formObject, load } from "~/lib/api.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const orgs = await load(request, () => context.api.orgs.mine());
  return { orgs, verified: context.viewer?.emailVerified ?? false };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const f = formObject(await request.formData());
  const result = await attempt(request, () => context.api.orgs.create({ name: f.name ?? "", slug: f.slug ?? "" }));
  if (result.ok) throw redirect(`/o/${result.data.slug}`);
  return result;
}

export default function Orgs() {
  const { orgs, verified } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  return (
    <div>
      <h1>Your organisations</h1>
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
      <h2>Create an organisation</h2>
      <Form method="post" className="card narrow">
        <FormMessage result={result} />
        <Field name="name" label="Name" result={result} required maxLength={200} />
        <Field name="slug" label="Address" result={result} required maxLength={40} hint="Lowercase letters, digits and hyphens: /o/your-agency" />
        <button type="submit" disabled={busy || !verified}>Create organisation</button>
        {!verified && <p className="muted">Confirm your email address first.</p>}
      </Form>
    </div>
  );
}
