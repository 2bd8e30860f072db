import type { AppLoadContext, LoaderFunctionArgs } from "@remix-run/node";
import { filtersFromParams } from "~/lib/log-views";
import { downloadResponse } from "~/lib/download.server";
import { loadOrBadRequest } from "~/lib/log-views.server";

type ExportInput = Parameters<AppLoadContext["api"]["audit"]["export"]>[0];

/** Resource route: the filtered audit log as a download (CSV or JSON), same filters as the page. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const filters = filtersFromParams(url.searchParams, ["action", "actorKind", "actorId", "targetType", "targetId", "from", "to"]);
  const format = url.searchParams.get("format") ?? "csv";
  // The API validates everything here (format included) and refuses exports over its row limit.
  const file = await loadOrBadRequest(request, () => context.api.audit.export({ org: params.slug!, ...filters, format } as ExportInput));
  return downloadResponse(file);
}
