import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useNavigation, useSearchParams } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { attempt, readForm, formObject } from "~/lib/api.server";

/** Only same-site paths: an open redirect after login would hand a fresh session's tab to another site. */
function safeNext(value: string | undefined) {
  return value && value.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\") ? value : "/orgs";
}

export function loader({ context }: LoaderFunctionArgs) {
  if (context.viewer) throw redirect("/orgs");
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const result = await attempt(request, () => context.api.auth.login({ email: f.email ?? "", password: f.password ?? "" }), {
    wrongCredentialsIsValue: true,
  });
  if (result.ok) throw redirect(safeNext(f.next));
  return result;
}

export default function Login() {
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const busy = useNavigation().state !== "idle";
  return (
    <div className="narrow">
      <h1>Log in</h1>
      {params.get("reset") && <p className="notice">Your password was changed. Log in with the new one.</p>}
      {params.get("deleted") && (
        <p className="notice">Your account was deleted. Your work in organisations now shows under an anonymous name.</p>
      )}
      <Form method="post" className="card">
        <FormMessage result={result} />
        <input type="hidden" name="next" value={params.get("next") ?? ""} />
        <Field name="email" label="Email" type="email" result={result} required autoComplete="email" />
        <Field name="password" label="Password" type="password" result={result} required autoComplete="current-password" />
        <button type="submit" disabled={busy}>
          Log in
        </button>
      </Form>
      <p>
        <Link to="/forgot">Forgot your password?</Link> · <Link to="/signup">Create an account</Link>
      </p>
    </div>
  );
}
