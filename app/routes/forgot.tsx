import type { ActionFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useNavigation } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { attempt, readForm, formObject } from "~/lib/api.server";

export async function action({ request, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  return attempt(request, () => context.api.auth.requestPasswordReset({ email: f.email ?? "" }));
}

export default function Forgot() {
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  return (
    <div className="narrow">
      <h1>Reset your password</h1>
      {result?.ok ? (
        <p className="notice">If an account uses that address, a reset link is on its way. It works for one hour.</p>
      ) : (
        <Form method="post" className="card">
          <FormMessage result={result} />
          <Field name="email" label="Email" type="email" result={result} required autoComplete="email" />
          <button type="submit" disabled={busy}>
            Send reset link
          </button>
        </Form>
      )}
    </div>
  );
}
