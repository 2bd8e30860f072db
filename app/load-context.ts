import type { AppCaller } from "../server/routers/_app";

// Type-only: the server entry builds this per request (server/http/remix.ts).
declare module "@remix-run/node" {
  interface AppLoadContext {
    api: AppCaller;
    viewer: { id: string; name: string; email: string; emailVerified: boolean; isStaff: boolean } | null;
  }
}

export {};
