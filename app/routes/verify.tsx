import type { LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { attempt } from "~/lib/api.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const token = new URL(request.url).searchParams.get("token") ?? "";
  const result = await attempt(request, () => context.api.auth.verifyEmail({ token }));
  return { verified: result.ok, message: result.ok ? null : result.message, loggedIn: context.viewer !== null };
}

export default function Verify() {
  const { verified, message, loggedIn } = useLoaderData<typeof loader>();
  return (
    <div className="narrow">
      <h1>{verified ? "Email confirmed" : "Link not valid"}</h1>
      <p>{verified ? "Thank you: your email address is confirmed." : message}</p>
      <p>{loggedIn ? <Link to="/orgs">Continue to your organisations</Link> : <Link to="/login">Log in</Link>}</p>
    </div>
  );
}
