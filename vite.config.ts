import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";
import tsconfigPaths from "vite-tsconfig-paths";
import remixOptions from "./remix.config";

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

// Vitest loads this file too; the Remix plugin must stay out of test runs (remix-run/remix#9871).
export default defineConfig({
  plugins: [process.env.VITEST ? null : remix(remixOptions), tsconfigPaths()],
  server: { port: 3000 },
});
