import { createCallerFactory, router } from "../trpc/init";
import { accountRouter } from "./account";
import { authRouter } from "./auth";
import { clientsRouter } from "./clients";
import { orgsRouter } from "./orgs";
import { projectsRouter } from "./projects";

export const appRouter = router({
  auth: authRouter,
  account: accountRouter,
  orgs: orgsRouter,
  clients: clientsRouter,
  projects: projectsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
export type AppCaller = ReturnType<typeof createCaller>;
