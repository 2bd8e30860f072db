import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import { createHttpServer } from "../../http/server";
import { createRemixApp } from "../../http/remix";
import { startInstance, type Instance } from "./instance";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * An instance that also serves the web app's routes (forms, loaders, actions) on a second loopback
 * port, so a test posts the same forms a browser does. Routes are compiled on demand by Vite's dev
 * server: vite.config.ts leaves the Remix plugin out while VITEST is set, so it is unset while the
 * dev server reads its configuration.
 */
export async function startWebInstance(env: Record<string, string> = {}): Promise<Instance & { web: string }> {
  const instance = await startInstance(env);
  const vitest = process.env.VITEST;
  delete process.env.VITEST;
  let remix;
  try {
    remix = await createRemixApp({ ...instance.services, config: { ...instance.services.config, env: "development" } }, ROOT);
  } finally {
    process.env.VITEST = vitest;
  }
  const server: Server = createHttpServer(instance.services, remix);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const web = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return {
    ...instance,
    web,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await instance.stop();
    },
  };
}
