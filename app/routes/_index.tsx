import { redirect, type LoaderFunctionArgs } from "@remix-run/node";

export async function loader({ context }: LoaderFunctionArgs) {
  const status = await context.api.auth.status();
  if (status.needsSetup) throw redirect("/setup");
  throw redirect(status.viewer ? "/orgs" : "/login");
}
