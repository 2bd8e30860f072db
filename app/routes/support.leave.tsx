import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { load } from "~/lib/api.server";

export async function action({ request, context }: ActionFunctionArgs) {
  await load(request, () => context.api.support.leave());
  throw redirect("/orgs");
}

export function loader() {
  throw redirect("/");
}
