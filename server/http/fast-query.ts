import type { IncomingMessage, ServerResponse } from "node:http";
import {
  callTRPCProcedure,
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
  transformTRPCResponse,
  TRPCError,
  type AnyTRPCRouter,
  type inferRouterContext,
} from "@trpc/server";
import { getHTTPStatusCode, type HTTPErrorHandler } from "@trpc/server/http";

/**
 * The options the fast path shares with `createHTTPHandler`; pass it the same object. createContext
 * gets only { req, res } here (no `info`), so a context factory that starts reading `info` stops
 * type-checking against this and has to be looked at rather than silently differing.
 */
export interface FastQueryOptions<TRouter extends AnyTRPCRouter> {
  router: TRouter;
  /** The URL prefix of the tRPC endpoint, with both slashes: "/api/trpc/". */
  basePath: string;
  createContext: (opts: { req: IncomingMessage; res: ServerResponse }) => Promise<inferRouterContext<TRouter>>;
  onError?: HTTPErrorHandler<TRouter, IncomingMessage>;
}

/** A procedure path made only of identifier segments: nothing for URL decoding or slash trimming to change. */
const PLAIN_PATH = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$/;

/**
 * A shorter road for the commonest API request: one (non-batched) query over GET. tRPC's Node
 * adapter turns every request into a Fetch Request, runs it through resolveResponse and streams the
 * Response back, which costs more than the query it serves. This runs the same procedure (same
 * middlewares, same context factory, same error formatter and status mapping, all through tRPC's
 * public exports) and writes the JSON once.
 *
 * Returns false, having touched nothing, for anything it does not handle byte for byte the way
 * tRPC does: other methods (HEAD too), batches, a jsonl accept header, any content type, connection
 * params, unusual paths, unknown procedures and non-queries. The caller then uses the standard handler.
 * server/test/fast-query.test.ts sends the same requests both ways and compares the answers.
 */
export function createFastQueryHandler<TRouter extends AnyTRPCRouter>(opts: FastQueryOptions<TRouter>) {
  const { router, basePath, createContext, onError } = opts;
  const config = router._def._config;
  const procedures = router._def.procedures as Record<string, { _def: { type: string } } | undefined>;

  function isQuery(path: string) {
    return PLAIN_PATH.test(path) && Object.hasOwn(procedures, path) && procedures[path]?._def.type === "query";
  }

  return function fastQuery(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== "GET" || !req.url?.startsWith(basePath)) return false;
    const headers = req.headers;
    // These change how tRPC reads the request (content-type handler, jsonl streaming).
    if (headers["content-type"] !== undefined || headers["trpc-accept"] !== undefined) return false;
    if (headers.accept?.split(",").some((t) => t.trim() === "application/jsonl")) return false;
    let url: URL;
    try {
      // As tRPC's adapter builds it, so a Host header it rejects is left for it to reject.
      url = new URL(req.url, `http://${headers.host ?? "localhost"}`);
    } catch {
      return false;
    }
    if (!url.pathname.startsWith(basePath)) return false;
    const path = url.pathname.slice(basePath.length);
    if (!isQuery(path)) return false;
    const params = url.searchParams;
    if (params.has("batch") || params.has("connectionParams")) return false;
    void answer(req, res, path, params.get("input"));
    return true;
  };

  async function answer(req: IncomingMessage, res: ServerResponse, path: string, rawInput: string | null) {
    const input = new LazyInput(rawInput, config.transformer.input);
    const getRawInput = input.read.bind(input);

    // The procedure sees a signal that aborts when the client goes away, as under the adapter.
    const abort = new AbortController();
    res.once("close", () => {
      if (!res.writableEnded) abort.abort();
    });

    let ctx: inferRouterContext<TRouter> | undefined;
    try {
      let json;
      let error: TRPCError | undefined;
      try {
        ctx = await createContext({ req, res });
        const data = await callTRPCProcedure({ router, path, getRawInput, ctx, type: "query", signal: abort.signal, batchIndex: 0 });
        json = { result: { data } };
      } catch (cause) {
        error = getTRPCErrorFromUnknown(cause);
        onError?.({ error, path, input: input.value, ctx, type: "query", req });
        json = { error: getTRPCErrorShape({ config, error, type: "query", path, input: input.value, ctx }) };
      }
      if (!error && isStreamLike(json.result?.data)) {
        // resolveResponse refuses these for a non-streaming call, reporting neither path nor input.
        error = new TRPCError({
          code: "UNSUPPORTED_MEDIA_TYPE",
          message: "Cannot use stream-like response in non-streaming request - use httpBatchStreamLink",
        });
        onError?.({ error, path: undefined, input: undefined, ctx, type: "query", req });
        json = { error: getTRPCErrorShape({ config, error, type: "query", path: undefined, input: undefined, ctx }) };
      }
      send(res, getHTTPStatusCode(json, error ? [error] : []), JSON.stringify(transformTRPCResponse(config, json)));
    } catch (cause) {
      // Only a throwing error formatter or transformer gets here; answer as the adapter's last resort does.
      const error = getTRPCErrorFromUnknown(cause);
      onError?.({ error, path: undefined, input: undefined, ctx: undefined, type: "unknown", req });
      if (res.headersSent) return void res.end();
      let shape;
      try {
        shape = getTRPCErrorShape({ config, error, type: "unknown", path: undefined, input: undefined, ctx: undefined });
      } catch {
        shape = { code: -32603, message: "Internal server error", data: { code: "INTERNAL_SERVER_ERROR", httpStatus: 500 } };
      }
      res.statusCode = shape.data.httpStatus;
      res.end(JSON.stringify(transformTRPCResponse(config, { error: shape })));
    }
  }
}

/**
 * ?input= parsed when a middleware or the input parser first asks, as tRPC does: a parse failure is
 * a BAD_REQUEST, and `value` (what onError and the error formatter see) is set only once it parsed.
 */
class LazyInput {
  value: unknown;
  #read: Promise<unknown> | undefined;
  constructor(
    private readonly raw: string | null,
    private readonly transformer: { deserialize(value: unknown): unknown },
  ) {}

  read(): Promise<unknown> {
    return (this.#read ??= this.#parse());
  }

  #parse(): Promise<unknown> {
    try {
      this.value = this.raw ? this.transformer.deserialize(JSON.parse(this.raw)) : undefined;
      return Promise.resolve(this.value);
    } catch (cause) {
      if (cause instanceof TRPCError) return Promise.reject(cause);
      return Promise.reject(
        new TRPCError({ code: "BAD_REQUEST", message: cause instanceof Error ? cause.message : "Invalid input", cause }),
      );
    }
  }
}

/** The headers the adapter copies from tRPC's Response; Set-Cookie is already on `res` from the context. */
function send(res: ServerResponse, status: number, body: string) {
  if (res.statusCode === 200) res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.setHeader("vary", "trpc-accept, accept");
  res.end(body);
}

/** resolveResponse's isDataStream: an async iterable, or an object holding a promise or an async iterable. */
function isStreamLike(value: unknown): boolean {
  if (!isPlainObjectLike(value)) return false;
  if (isAsyncIterable(value)) return true;
  const values = Object.values(value);
  return values.some(isPromiseLike) || values.some(isAsyncIterable);
}

function isPlainObjectLike(value: unknown): value is Record<PropertyKey, unknown> {
  return !!value && !Array.isArray(value) && typeof value === "object";
}

function isAsyncIterable(value: unknown) {
  return isPlainObjectLike(value) && Symbol.asyncIterator in value;
}

function isPromiseLike(value: unknown) {
  if (!isPlainObjectLike(value) && typeof value !== "function") return false;
  const v = value as { then?: unknown; catch?: unknown };
  return typeof v.then === "function" && typeof v.catch === "function";
}
