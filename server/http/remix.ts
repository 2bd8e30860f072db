import { join } from "node:path";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express from "express";
import { createCaller } from "../routers/_app";
import type { Services } from "../services";
import { createContext } from "../trpc/context";
import { STORAGE_FULL_MESSAGE, STORAGE_FULL_STATUS } from "../storage/storage-full";
import { requestFacts } from "./request-facts";
import { noteStorageFull } from "./storage-full";

/**
 * The Remix side of the server. Loaders and actions get a tRPC caller in their load context, built
 * from the same context factory as /api/trpc, so there is one implementation of each operation and
 * app/ never imports server code at run time.
 */
export async function createRemixApp(services: Services, root = process.cwd()) {
  const app = express();
  app.disable("x-powered-by");
  app.use(compression());

  let build: ServerBuild | (() => Promise<ServerBuild>);
  if (services.config.env === "development") {
    const vite = await import("vite").then((v) => v.createServer({ server: { middlewareMode: true }, root }));
    app.use(vite.middlewares);
    build = () => vite.ssrLoadModule("virtual:remix/server-build") as Promise<ServerBuild>;
  } else {
    const client = join(root, "build/client");
    app.use("/assets", express.static(join(client, "assets"), { immutable: true, maxAge: "1y" }));
    app.use(express.static(client, { maxAge: "1h" }));
    build = (await import(join(root, "build/server/index.js"))) as ServerBuild;
  }

  app.all(
    "*",
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- never rejects: Remix's handler catches every error and passes it to next()
    createRequestHandler({
      build,
      mode: services.config.env === "development" ? "development" : "production",
      getLoadContext: async (req, res) => {
        const ctx = await createContext(services, requestFacts(req, res, services.config));
        return { api: createCaller(ctx), viewer: ctx.viewer ? { ...ctx.viewer.user } : null };
      },
    }),
  );
  // Only what escapes Remix gets here (its load context failed): full storage is still a 507 sentence.
  app.use((error: unknown, req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (!noteStorageFull(services, "remix", `${req.method} ${req.path}`, error)) return next(error);
    if (res.headersSent) return void res.destroy();
    res.status(STORAGE_FULL_STATUS).type("text/plain").set("cache-control", "no-store").send(STORAGE_FULL_MESSAGE);
  });
  return app;
}
