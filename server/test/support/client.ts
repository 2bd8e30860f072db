import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../routers/_app";

type Outputs = inferRouterOutputs<AppRouter>;
/** What the procedure at a dotted path answers, for typing a test's reading of a reply ("reports.hours"). */
export type OutputOf<P extends string> = P extends `${infer R}.${infer N}`
  ? R extends keyof Outputs
    ? N extends keyof Outputs[R]
      ? Outputs[R][N]
      : never
    : never
  : never;

/**
 * A browser-like client over real HTTP: a cookie jar, the Origin header a browser sends, and the
 * tRPC wire format (GET ?input= for queries, JSON POST for mutations), so tests can also forge any of it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- by default a reply is the JSON the test asserts on, forged and refused calls included; OutputOf types it by the router
export interface CallResult<T = any> {
  status: number;
  data: T;
  error: { message: string; code: string; fieldErrors?: Record<string, string[]> | null } | null;
  setCookies: string[];
}

/** tRPC's JSON answer to one call: data, or an error with its code and (from our error formatter) field errors. */
interface WireReply<T> {
  result?: { data?: T };
  error?: { message: string; code: number; data?: { code?: string; fieldErrors?: Record<string, string[]> | null } };
}

export class Client {
  cookies = new Map<string, string>();
  constructor(readonly baseUrl: string) {}

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see CallResult
  async query<T = any>(path: string, input?: unknown) {
    const qs = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
    return this.#send<T>("GET", `/api/trpc/${path}${qs}`);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see CallResult
  async mutate<T = any>(path: string, input?: unknown, headers: Record<string, string> = {}) {
    return this.#send<T>("POST", `/api/trpc/${path}`, input === undefined ? "" : JSON.stringify(input), {
      "content-type": "application/json",
      origin: this.baseUrl,
      ...headers,
    });
  }

  async raw(method: string, url: string, body?: string, headers: Record<string, string> = {}) {
    const res = await fetch(this.baseUrl + url, {
      method,
      body,
      redirect: "manual",
      headers: { ...(this.cookies.size ? { cookie: this.cookieHeader() } : {}), ...headers },
    });
    this.#store(res);
    return res;
  }

  async #send<T>(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<CallResult<T>> {
    const res = await this.raw(method, url, body, headers);
    const json = (await res.json().catch(() => null)) as WireReply<T> | null;
    return {
      status: res.status,
      data: json?.result?.data as T,
      error: json?.error
        ? { message: json.error.message, code: json.error.data?.code ?? String(json.error.code), fieldErrors: json.error.data?.fieldErrors }
        : null,
      setCookies: res.headers.getSetCookie(),
    };
  }

  #store(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(";");
      const [name, ...rest] = pair!.split("=");
      const value = rest.join("=");
      const expired = attrs.some((a) => /max-age=0/i.test(a.trim())) || value === "";
      if (expired) this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value);
    }
  }
}

/** The data of a call that must succeed; anything else fails the setup with the API's own error. */
export function ok<T>(res: { status: number; data: T; error: unknown }, what: string): T {
  if (res.status !== 200) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.error)}`);
  return res.data;
}
