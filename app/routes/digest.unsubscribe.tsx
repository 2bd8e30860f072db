import type { ActionFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useSearchParams } from "@remix-run/react";
import { attempt, readForm, formObject } from "~/lib/api.server";

export const meta: MetaFunction = () => [{ title: "Unsubscribe · opslayer" }];

/**
 * Opening the link only shows a button: mail scanners prefetch links, and a GET that unsubscribed
 * would switch digests off for anyone whose mail is scanned. The token may come in the form or, for
 * a one-click POST to the link itself (List-Unsubscribe-Post), in the query string.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const token = f.token || new URL(request.url).searchParams.get("token") || "";
  const result = await attempt(request, () => context.api.digest.unsubscribe({ token }));
  if (result.ok) return { ok: true as const, orgName: result.data.orgName };
  // A malformed token fails validation; say the same as for one that does not verify.
  const message =
    Object.keys(result.fieldErrors).length > 0
      ? "This unsubscribe link is not valid. Copy the whole link from the email, or switch the digest off in the organisation."
      : result.message;
  return { ok: false as const, message };
}

export default function Unsubscribe() {
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  if (!result) {
    return (
      <div className="narrow">
        <h1>Stop the daily digest</h1>
        <Form method="post" className="card">
          <p>
            You will no longer get the daily activity email from this organisation. You can switch it back on in the organisation, under
            Daily digest.
          </p>
          <input type="hidden" name="token" value={params.get("token") ?? ""} />
          <button type="submit">Unsubscribe</button>
        </Form>
      </div>
    );
  }
  return (
    <div className="narrow">
      <h1>{result.ok ? "Unsubscribed" : "Link not valid"}</h1>
      <p role={result.ok ? "status" : "alert"}>
        {result.ok ? `You will no longer get the daily digest${result.orgName ? ` from ${result.orgName}` : ""}.` : result.message}
      </p>
    </div>
  );
}
