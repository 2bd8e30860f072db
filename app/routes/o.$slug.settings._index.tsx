import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { attempt, formObject, load } from "~/lib/api.server";
import { TIME_ZONES } from "../../server/routers/settings";

// ISO weekday numbers, as the time pages count them (1 = Monday).
const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const settings = await load(request, () => context.api.settings.get({ org: params.slug! }));
  // The lists come from the server's Intl, the same ones the API validates against (a browser's may differ).
  const names = new Intl.DisplayNames(["en"], { type: "currency" });
  return {
    settings,
    timeZones: TIME_ZONES,
    currencies: Intl.supportedValuesOf("currency").map((code) => ({ code, name: names.of(code) ?? code })),
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const f = formObject(await request.formData());
  return attempt(request, () =>
    context.api.settings.update({ org: params.slug!, timeZone: f.timeZone ?? "", currency: f.currency ?? "", weekStart: Number(f.weekStart) }),
  );
}

export default function Settings() {
  const { settings, timeZones, currencies } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  return (
    <div>
      <h1>Organisation settings</h1>
      <Form method="post" className="card narrow">
        {result?.ok && (
          <p className="notice" role="status">
            Settings saved.
          </p>
        )}
        <FormMessage result={result} />
        <Field name="timeZone" label="Time zone" result={result} hint="Sets where days and weeks begin for time tracking and reports.">
          <select id="f-timeZone" name="timeZone" defaultValue={settings.timeZone}>
            {timeZones.map((z) => (
              <option key={z} value={z}>
                {z.replaceAll("_", " ")}
              </option>
            ))}
          </select>
        </Field>
        <Field name="currency" label="Currency" result={result} hint="Used for rates and invoices.">
          <select id="f-currency" name="currency" defaultValue={settings.currency}>
            {currencies.map((c) => (
              <option key={c.code} value={c.code}>
                {c.code} — {c.name}
              </option>
            ))}
          </select>
        </Field>
        <Field name="weekStart" label="Week starts on" result={result}>
          <select id="f-weekStart" name="weekStart" defaultValue={settings.weekStart}>
            {WEEKDAYS.map((day, i) => (
              <option key={day} value={i + 1}>
                {day}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" disabled={busy}>
          Save settings
        </button>
      </Form>
    </div>
  );
}
