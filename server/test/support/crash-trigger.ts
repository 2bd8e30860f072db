/**
 * Test-only preload (`--import`) for the supervisor test: the production code has no way to crash on
 * purpose, so this file gives a server process one. A request to `/metrics?crash=throw` (or
 * `=reject`) makes the worker throw an uncaught exception (or leave a rejection unhandled) from
 * inside that request's work, the way a bug in a handler would; the request itself is still answered.
 */
import cluster from "node:cluster";
import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";

if (cluster.isWorker) {
  subscribe("http.server.request.start", (message) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    const kind = /^\/metrics\?crash=(throw|reject)$/.exec(request.url ?? "")?.[1];
    if (!kind) return;
    // The server sets its security headers from inside the request's context (request id and all):
    // the crash is scheduled from there, so it belongs to that request like a handler's own bug.
    const setHeader = response.setHeader.bind(response);
    let armed = true;
    response.setHeader = (name, value) => {
      if (armed && name === "X-Content-Type-Options") {
        armed = false;
        if (kind === "throw")
          setImmediate(() => {
            throw new Error("test crash: thrown from a request");
          });
        else void Promise.reject(new Error("test crash: rejected in a request"));
      }
      return setHeader(name, value);
    };
  });
}
