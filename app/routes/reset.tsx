import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useNavigation, useSearchParams } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { attempt, readForm, formObject } from "~/lib/api.server";

export async function action({ request, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const result = await attempt(request, () => context.api.auth.resetPassword({ token: f.token ?? "", password: f.password ?? "" }));
  if (result.ok) throw redirect("/login?reset=1");
  return result;
}

export default function Reset() {
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const busy = useNavigation().state !== "idle";
  return (
    <div className="narrow">
      <h1>Choose a new password</h1>
      <Form method="post" className="card">
        <FormMessage result={result} />
        <input type="hidden" name="token" value={params.get("token") ?? ""} />
        <Field
          name="password"
          label="New password"
          type="password"
          result={result}
          required
          autoComplete="new-password"
          hint="12 to 128 characters. Every signed-in device will be signed out."
        />
        <button type="submit" disabled={busy}>
          Set password
        </button>
      </Form>
    </div>
  );
}
