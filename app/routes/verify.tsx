import type { ActionFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useRouteLoaderData, useSearchParams } from "@remix-run/react";
import { attempt, readForm, formObject } from "~/lib/api.server";
import type { loader as rootLoader } from "~/root";

/**
 * Opening the link only shows a button: mail scanners prefetch links, and a GET that spent the
 * single-use token would leave the person with a dead link.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const result = await attempt(request, () => context.api.auth.verifyEmail({ token: f.token ?? "" }));
  return result.ok ? { ok: true as const } : { ok: false as const, message: result.message };
}

export default function Verify() {
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const loggedIn = Boolean(useRouteLoaderData<typeof rootLoader>("root")?.viewer);
  if (!result) {
    return (
      <div className="narrow">
        <h1>Confirm your email</h1>
        <Form method="post" className="card">
          <input type="hidden" name="token" value={params.get("token") ?? ""} />
          <button type="submit">Confirm my email</button>
        </Form>
      </div>
    );
  }
  return (
    <div className="narrow">
      <h1>{result.ok ? "Email confirmed" : "Link not valid"}</h1>
      <p>{result.ok ? "Thank you: your email address is confirmed." : result.message}</p>
      <p>{loggedIn ? <Link to="/orgs">Continue to your organisations</Link> : <Link to="/login">Log in</Link>}</p>
    </div>
  );
}
