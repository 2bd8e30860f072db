import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { FormMessage } from "~/components/form";
import { attempt, readForm, formObject, load } from "~/lib/api.server";

export const meta: MetaFunction = () => [{ title: "Daily digest · opslayer" }];

/** Each member's own choice, so it lives outside the organisation settings (which need org.settings). */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  return load(request, () => context.api.digest.get({ org: params.slug! }));
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  return attempt(request, () => context.api.digest.set({ org: params.slug!, optIn: f.optIn === "on" }));
}

const hourLabel = (h: number) => `${String(h).padStart(2, "0")}:00`;

export default function Digest() {
  const loaded = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  const choice = result?.ok ? result.data : loaded;
  return (
    <div>
      <h1>Daily digest</h1>
      <Form method="post" className="card narrow">
        {result?.ok && (
          <p className="notice" role="status">
            {choice.optIn ? "You will get the digest." : "You will not get the digest."}
          </p>
        )}
        <FormMessage result={result} />
        <p className="muted">
          Once a day, from {hourLabel(choice.digestHour)} ({choice.timeZone.replaceAll("_", " ")}), an email with the previous day's
          activity in the projects you can see: tasks created and completed, comments, hours logged and invoices issued, as far as your role
          shows them. Days without activity send nothing. Every digest has a link to stop it.
        </p>
        <div className="field">
          <label>
            <input type="checkbox" name="optIn" defaultChecked={choice.optIn} key={String(choice.optIn)} /> Email me a daily digest
          </label>
        </div>
        <button type="submit" disabled={busy}>
          Save
        </button>
      </Form>
    </div>
  );
}
