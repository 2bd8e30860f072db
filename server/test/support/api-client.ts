import { Client } from "./client";

/**
 * A script-like API client: `Authorization: Bearer <token>` on every request, no cookie jar, and no
 * Origin header (API clients send none). Same wire format as Client, so `query` and `mutate` work.
 */
export class BearerClient extends Client {
  constructor(
    baseUrl: string,
    readonly token: string,
  ) {
    super(baseUrl);
  }

  override async raw(method: string, url: string, body?: string, headers: Record<string, string> = {}) {
    const { origin: _origin, ...rest } = headers;
    const res = await fetch(this.baseUrl + url, {
      method,
      body,
      redirect: "manual",
      headers: { authorization: `Bearer ${this.token}`, ...rest },
    });
    return res;
  }
}
