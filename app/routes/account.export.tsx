import type { LoaderFunctionArgs } from "@remix-run/node";
import { load } from "~/lib/api.server";
import { downloadResponse } from "~/lib/download.server";

/** Resource route: everything held about the signed-in person, as one JSON file to keep. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const data = await load(request, () => context.api.account.exportData());
  return downloadResponse({
    filename: "opslayer-personal-data.json",
    contentType: "application/json; charset=utf-8",
    content: JSON.stringify(data, null, 2),
  });
}
