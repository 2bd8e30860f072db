import { fileURLToPath } from "node:url";
import { createCaller } from "../../routers/_app";
import { createContext } from "../../trpc/context";
import type { Client } from "./client";
import type { Instance } from "./instance";

const ROUTE = fileURLToPath(new URL("../../../app/routes/o.$slug.time.tsx", import.meta.url));

type Action = (args: { request: Request; params: Record<string, string>; context: unknown }) => Promise<unknown>;

/**
 * Posts the time page's form as the browser does (form-encoded, to the route's action, through the
 * same caller the server gives it), so a test sees what the web form stores, not what the API would.
 * Answers the action's failure, or null when it redirected (saved).
 */
export async function postTimeForm(instance: Instance, client: Client, slug: string, fields: Record<string, string>) {
  const { action } = (await import(ROUTE)) as { action: Action };
  const reqCtx = await createContext(instance.services, {
    cookieHeader: client.cookieHeader(),
    info: { ip: "127.0.0.1", userAgent: "time-page" },
    origin: instance.url,
    setCookie: () => {},
  });
  const request = new Request(`${instance.url}/o/${slug}/time`, { method: "POST", body: new URLSearchParams(fields) });
  try {
    return (await action({ request, params: { slug }, context: { api: createCaller(reqCtx), viewer: reqCtx.viewer } })) as {
      ok: false;
      message: string;
      fieldErrors: Record<string, string[] | undefined>;
    };
  } catch (thrown) {
    if (thrown instanceof Response && thrown.status >= 300 && thrown.status < 400) return null;
    throw thrown;
  }
}

/** The hidden fields and values the edit form is drawn with for an entry (EditableEntry). */
export function editFormOf(e: {
  id: string;
  project_id: string;
  note: string;
  billable: boolean;
  date: string;
  start_time: string;
  end_time: string | null;
}) {
  return {
    intent: "update",
    id: e.id,
    projectId: e.project_id,
    note: e.note,
    ...(e.billable ? { billable: "on" } : {}),
    date: e.date,
    start: e.start_time,
    end: e.end_time ?? "",
    duration: "",
    was_projectId: e.project_id,
    was_note: e.note,
    was_billable: e.billable ? "1" : "0",
    was_date: e.date,
    was_start: e.start_time,
    was_end: e.end_time ?? "",
  };
}
