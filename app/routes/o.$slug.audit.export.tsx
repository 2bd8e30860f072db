import type { AppLoadContext, LoaderFunctionArgs } from "@remix-run/node";
import { filtersFromParams } from "~/lib/log-views";
import { loadOrBadRequest } from "~/lib/log-views.server";

type ExportInput = Parameters<AppLoadContext["api"]["audit"]["export"]>[0];

/** Resource route: the filtered audit log as a download (CSV or JSON), same filters as the page. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const filters = filtersFromParams(url.searchParams, ["action", "actorKind", "actorId", "targetType", "targetId", "from", "to"]);
  const format = url.searchParams.get("format") ?? "csv";
  // The API validates everything here (format included) and refuses exports over its row limit.
  const file = await loadOrBadRequest(request, () => context.api.audit.export({ org: params.slug!, ...filters, format } as ExportInput));
  return new Response(file.content, {
    headers: {
      "Content-Type": file.contentType,
      // The filename is built from the slug and a timestamp only: nothing that needs escaping.
      "Content-Disposition": `attachment; filename="${file.filename}"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
