import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import {
  Form,
  Link,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  isRouteErrorResponse,
  useLoaderData,
  useRouteError,
} from "@remix-run/react";
import stylesheet from "./styles.css?url";
import "./load-context";

// An empty icon: without one every page view asks for /favicon.ico and logs a routing error.
export const links: LinksFunction = () => [
  { rel: "icon", href: "data:," },
  { rel: "stylesheet", href: stylesheet },
];
export const meta: MetaFunction = () => [{ title: "opslayer" }];

export async function loader({ context }: LoaderFunctionArgs) {
  const viewer = context.viewer;
  // Staff inside an organisation see a banner on every page until the grant ends.
  const support = viewer?.isStaff ? await context.api.support.current() : null;
  return { viewer: viewer ? { name: viewer.name, emailVerified: viewer.emailVerified, isStaff: viewer.isStaff } : null, support };
}

function SupportBanner({ support }: { support: { slug: string; name: string; scope: string; expiresAt: number } }) {
  const minutes = Math.max(0, Math.round((support.expiresAt - Date.now()) / 60_000));
  const left = minutes >= 120 ? `${Math.round(minutes / 60)} hours` : `${minutes} minutes`;
  return (
    <div className="banner support" role="status">
      Support session in <Link to={`/o/${support.slug}`}>{support.name}</Link> · {support.scope === "read" ? "read only" : "read and write"}{" "}
      · {left} left
      <Form method="post" action="/support/leave" style={{ display: "inline", marginLeft: 12 }}>
        <button type="submit" className="secondary">
          Leave
        </button>
      </Form>
    </div>
  );
}

export function Layout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

function Header() {
  const data = useLoaderData<typeof loader>();
  const viewer = data?.viewer;
  return (
    <header className="topbar">
      <Link to="/" className="brand">
        opslayer
      </Link>
      <nav>
        {viewer ? (
          <>
            <Link to="/orgs">Organisations</Link>
            {viewer.isStaff && <Link to="/admin/security">Security log</Link>}
            <Link to="/account">{viewer.name}</Link>
            <Form method="post" action="/logout">
              <button type="submit" className="link">
                Log out
              </button>
            </Form>
          </>
        ) : (
          <>
            <Link to="/login">Log in</Link>
            <Link to="/signup">Sign up</Link>
          </>
        )}
      </nav>
    </header>
  );
}

export default function App() {
  const { viewer, support } = useLoaderData<typeof loader>();
  return (
    <>
      <Header />
      {support && <SupportBanner support={support} />}
      {viewer && !viewer.emailVerified && (
        <div className="banner">
          Confirm your email address to open organisations. <Link to="/account">Resend the link</Link>
        </div>
      )}
      <main>
        <Outlet />
      </main>
    </>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const title = isRouteErrorResponse(error) ? `${error.status} ${error.statusText || ""}` : "Something went wrong";
  const detail = isRouteErrorResponse(error) ? (typeof error.data === "string" ? error.data : null) : null;
  return (
    <main className="narrow">
      <h1>{title}</h1>
      {detail && <p>{detail}</p>}
      <p>
        <Link to="/">Back to the start</Link>
      </p>
    </main>
  );
}
