import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useNavigation } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { attempt, readForm, formObject } from "~/lib/api.server";

export function loader({ context }: LoaderFunctionArgs) {
  if (context.viewer) throw redirect("/orgs");
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const result = await attempt(request, () =>
    context.api.auth.signup({ name: f.name ?? "", email: f.email ?? "", password: f.password ?? "" }),
  );
  if (result.ok) throw redirect("/account?welcome=1");
  return result;
}

export default function Signup() {
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  return (
    <div className="narrow">
      <h1>Create your account</h1>
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
          Sign up
        </button>
      </Form>
      <p>
        Already have an account? <Link to="/login">Log in</Link>
      </p>
    </div>
  );
}
