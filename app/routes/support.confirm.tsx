import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { attempt, readForm, formObject, load } from "~/lib/api.server";
import { formatDateTime } from "~/lib/format";

export async function loader({ request, context }: LoaderFunctionArgs) {
  return load(request, () => context.api.support.pending());
}

export async function action({ request, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const result = await attempt(request, () => context.api.support.redeem({ acknowledgeReason: (f.acknowledge === "yes") as true }));
  if (result.ok) throw redirect(`/o/${result.data.slug}`);
  return result;
}

/** Step two: the staff member reads the owner's reason and confirms before any access begins. */
export default function ConfirmSupport() {
  const grant = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <div className="narrow">
      <h1>Enter {grant.org.name} as support</h1>
      <div className="card">
        <p>
          <strong>{grant.grantedBy ?? "The organisation"}</strong> granted{" "}
          <strong>{grant.scope === "read" ? "read-only" : "read and write"}</strong> access until{" "}
          <strong>{formatDateTime(grant.expiresAt)}</strong>.
        </p>
        <p>Reason given:</p>
        <blockquote className="reason">{grant.reason}</blockquote>
        <p className="muted">
          Everything you do is recorded and shown to the organisation's members while you are inside. The link works once.
        </p>
      </div>
      <Form method="post" className="card">
        <FormMessage result={result} />
        <Field name="acknowledgeReason" label="Confirmation" result={result}>
          <label>
            <input type="checkbox" name="acknowledge" value="yes" required /> I have read the reason and will act only on it
          </label>
        </Field>
        <button type="submit">Enter organisation</button>
      </Form>
    </div>
  );
}
