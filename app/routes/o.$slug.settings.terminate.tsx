import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { attempt, readForm, formObject, load } from "~/lib/api.server";
import { formatDateTime } from "~/lib/format";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  return load(request, () => context.api.termination.preview({ org: params.slug! }));
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const result = await attempt(request, () => context.api.termination.terminate({ org: params.slug!, confirmSlug: f.confirmSlug ?? "" }));
  if (result.ok) throw redirect(`/orgs?closed=${encodeURIComponent(result.data.slug)}`);
  return result;
}

/** Danger zone: closing the organisation, with the grace period spelled out before anything happens. */
export default function TerminateOrganisation() {
  const org = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  return (
    <div>
      <h1>Danger zone</h1>
      <h2>Close this organisation</h2>
      <Form method="post" className="card narrow">
        <p>
          Closing <strong>{org.name}</strong> locks everyone out at once: members, API tokens and support access. For {org.graceDays} days
          an owner can restore it from the organisations page, exactly as it was. After that, on about{" "}
          <strong>{formatDateTime(org.purgeAfterIfClosedNow)}</strong>, its database, files and encryption key are destroyed for good.
        </p>
        <FormMessage result={result} />
        <Field
          name="confirmSlug"
          label={`Type the organisation's address (${org.slug}) to confirm`}
          result={result}
          required
          autoComplete="off"
        />
        <button type="submit" className="danger" disabled={busy}>
          Close the organisation
        </button>
      </Form>
    </div>
  );
}
