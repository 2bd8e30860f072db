import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { attempt, readForm, formObject, load } from "~/lib/api.server";
import { AUDIT_RETENTION_DAYS, CURRENCIES, TIME_ZONES } from "../../server/routers/settings";

// ISO weekday numbers, as the time pages count them (1 = Monday).
const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const settings = await load(request, () => context.api.settings.get({ org: params.slug! }));
  // The lists come from the server's Intl, the same ones the API validates against (a browser's may differ).
  const names = new Intl.DisplayNames(["en"], { type: "currency" });
  return {
    settings,
    timeZones: TIME_ZONES,
    // Sent as data: the router module is server-only and must not reach the browser bundle.
    retention: AUDIT_RETENTION_DAYS,
    currencies: CURRENCIES.map((code) => ({ code, name: names.of(code) ?? code })),
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  return attempt(request, () =>
    context.api.settings.update({
      org: params.slug!,
      timeZone: f.timeZone ?? "",
      currency: f.currency ?? "",
      weekStart: Number(f.weekStart),
      // An empty box is sent as NaN, which the API refuses with the field's own message.
      auditRetentionDays: f.auditRetentionDays ? Number(f.auditRetentionDays) : Number.NaN,
      digestHour: Number(f.digestHour),
    }),
  );
}

export default function Settings() {
  const { settings, timeZones, currencies, retention } = useLoaderData<typeof loader>();
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
        <Field
          name="currency"
          label="Currency"
          result={result}
          hint="Used for rates and invoices. It cannot change once the organisation holds money (a rate, priced time, an invoice or a payment)."
        >
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
        <Field
          name="auditRetentionDays"
          label="Keep the audit log for (days)"
          result={result}
          hint={`Older entries are deleted by the daily clean-up. Between ${retention.min} and ${retention.max} days; check what your contracts and law require.`}
        >
          <input
            id="f-auditRetentionDays"
            name="auditRetentionDays"
            type="number"
            min={retention.min}
            max={retention.max}
            step={1}
            defaultValue={settings.auditRetentionDays}
            required
          />
        </Field>
        <Field
          name="digestHour"
          label="Daily digest goes out at"
          result={result}
          hint="In the organisation's time zone; members choose for themselves whether they get it."
        >
          <select id="f-digestHour" name="digestHour" defaultValue={settings.digestHour}>
            {Array.from({ length: 24 }, (_, h) => (
              <option key={h} value={h}>
                {String(h).padStart(2, "0")}:00
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
