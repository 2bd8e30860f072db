import { Form, useNavigation } from "@remix-run/react";
import { Field, FormMessage } from "./form";

interface ClientValues {
  name: string;
  contact_email: string | null;
  notes: string;
}

export function ClientForm({ result, client, submitLabel }: { result: unknown; client?: ClientValues; submitLabel: string }) {
  const busy = useNavigation().state !== "idle";
  return (
    <Form method="post" className="card narrow">
      <FormMessage result={result} />
      <Field name="name" label="Name" result={result} defaultValue={client?.name} required maxLength={200} />
      <Field name="contactEmail" label="Contact email" type="email" result={result} defaultValue={client?.contact_email} />
      <Field name="notes" label="Notes" result={result}>
        <textarea id="f-notes" name="notes" defaultValue={client?.notes} maxLength={10_000} />
      </Field>
      <button type="submit" disabled={busy}>
        {submitLabel}
      </button>
    </Form>
  );
}
