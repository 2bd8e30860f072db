import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useNavigation } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { attempt, readForm, formObject } from "~/lib/api.server";

export async function loader({ context }: LoaderFunctionArgs) {
  const status = await context.api.auth.status();
  if (!status.needsSetup) throw redirect("/");
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const result = await attempt(request, () =>
    context.api.auth.setup({ name: f.name ?? "", email: f.email ?? "", password: f.password ?? "" }),
  );
  if (result.ok) throw redirect("/orgs");
  return result;
}

export default function Setup() {
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  return (
    <div className="narrow">
      <h1>Welcome to opslayer</h1>
      <p className="muted">
        This instance has no accounts yet. Create the operator account: it runs the platform and is not a member of any organisation.
      </p>
      <Form method="post" className="card">
        <FormMessage result={result} />
        <Field name="name" label="Your name" result={result} required autoComplete="name" />
        <Field name="email" label="Email" type="email" result={result} required autoComplete="email" />
        <Field
          name="password"
          label="Password"
          type="password"
          result={result}
          required
          autoComplete="new-password"
          hint="12 to 128 characters; a long phrase works well."
        />
        <button type="submit" disabled={busy}>
          Create operator account
        </button>
      </Form>
    </div>
  );
}
