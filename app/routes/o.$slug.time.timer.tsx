import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useActionData, useParams } from "@remix-run/react";
import { FormMessage } from "~/components/form";
import { attempt, readForm, formObject } from "~/lib/api.server";

/** Only a path inside this organisation: a form field must never send the browser elsewhere. */
function backTo(slug: string, value: string | undefined) {
  const base = `/o/${slug}`;
  return value && (value === base || value.startsWith(`${base}/`) || value.startsWith(`${base}?`)) && !value.includes("//")
    ? value
    : `${base}/time`;
}

export function loader({ params }: LoaderFunctionArgs) {
  return redirect(`/o/${params.slug}/time`);
}

/** Start and stop the timer; the header widget and the time page post here. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const org = params.slug!;
  const result =
    f.intent === "start"
      ? await attempt(request, () =>
          context.api.time.start({
            org,
            projectId: f.projectId ?? "",
            note: f.note ?? "",
            billable: f.billable === "on" || f.billable === "1",
          }),
        )
      : await attempt(request, () => context.api.time.stop({ org }));
  if (result.ok) throw redirect(backTo(org, f.redirectTo));
  return result;
}

/** Seen only without JavaScript, when starting failed: the fetchers show the message in place. */
export default function TimerResult() {
  const slug = useParams().slug!;
  return (
    <div className="card">
      <FormMessage result={useActionData<typeof action>()} />
      <Link to={`/o/${slug}/time`}>Back to time</Link>
    </div>
  );
}
