import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { useActionData } from "@remix-run/react";
import { ClientForm } from "~/components/client-form";
import { attempt, readForm, formObject } from "~/lib/api.server";

export async function action({ request, params, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const result = await attempt(request, () =>
    context.api.clients.create({ org: params.slug!, name: f.name ?? "", contactEmail: f.contactEmail, notes: f.notes ?? "" }),
  );
  if (result.ok) throw redirect(`/o/${params.slug}/clients`);
  return result;
}

export default function NewClient() {
  return (
    <div>
      <h1>New client</h1>
      <ClientForm result={useActionData<typeof action>()} submitLabel="Create client" />
    </div>
  );
}
