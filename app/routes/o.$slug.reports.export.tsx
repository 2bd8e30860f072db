import type { AppLoadContext, LoaderFunctionArgs } from "@remix-run/node";
import { filtersFromParams } from "~/lib/log-views";
import { downloadResponse } from "~/lib/download.server";
import { loadOrBadRequest } from "~/lib/log-views.server";

type ExportInput = Parameters<AppLoadContext["api"]["reports"]["export"]>[0];

/** Resource route: one report as a CSV download, with the same parameters as the API. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const { from, to, ...rest } = filtersFromParams(url.searchParams, [
    "report",
    "groupBy",
    "from",
    "to",
    "clientId",
    "projectId",
    "memberId",
  ]);
  // Dates stay text here (the report API takes local dates, never milliseconds); the API validates everything.
  const input = {
    org: params.slug!,
    ...rest,
    ...(from !== undefined && { from: String(from) }),
    ...(to !== undefined && { to: String(to) }),
  };
  const file = await loadOrBadRequest(request, () => context.api.reports.export(input as ExportInput));
  return downloadResponse(file);
}
