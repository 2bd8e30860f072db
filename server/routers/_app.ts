import { createCallerFactory, router } from "../trpc/init";
import { accountRouter } from "./account";
import { auditRouter } from "./audit";
import { authRouter } from "./auth";
import { clientsRouter } from "./clients";
import { orgsRouter } from "./orgs";
import { projectsRouter } from "./projects";
import { securityRouter } from "./security";
import { settingsRouter } from "./settings";
import { supportRouter } from "./support";

export const appRouter = router({
  auth: authRouter,
  account: accountRouter,
  orgs: orgsRouter,
  clients: clientsRouter,
  projects: projectsRouter,
  audit: auditRouter,
  security: securityRouter,
  support: supportRouter,
  settings: settingsRouter,
  // Domain routers are added below, one line each.
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
export type AppCaller = ReturnType<typeof createCaller>;
