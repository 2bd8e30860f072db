import { redirect, type ActionFunctionArgs } from "@remix-run/node";

export async function action({ context }: ActionFunctionArgs) {
  await context.api.auth.logout();
  throw redirect("/login");
}

export function loader() {
  throw redirect("/");
}
