import { redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { attempt } from "~/lib/api.server";

/** The emailed/copied support link lands here and leaves at once, without its token in the URL. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const token = new URL(request.url).searchParams.get("token") ?? "";
  const result = await attempt(request, () => context.api.support.stashLink({ token }));
  if (!result.ok) throw new Response("This support link is not valid.", { status: 404, statusText: "Not found" });
  throw redirect("/support/confirm");
}
