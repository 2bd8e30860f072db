import { createCallerFactory, router } from "../trpc/init";
import { dashboardRouter } from "./dashboard";
import { reportsRouter } from "./reports";
import { accountRouter } from "./account";
import { activityRouter } from "./activity";
import { apiTokensRouter } from "./api-tokens";
import { auditRouter } from "./audit";
import { authRouter } from "./auth";
import { clientsRouter } from "./clients";
import { commentsRouter } from "./comments";
import { filesRouter } from "./files";
import { labelsRouter } from "./labels";
import { orgsRouter } from "./orgs";
import { paymentsRouter } from "./payments";
import { projectsRouter } from "./projects";
import { requestsRouter } from "./requests";
import { securityRouter } from "./security";
import { settingsRouter } from "./settings";
import { invitationsRouter } from "./invitations";
import { invoicesRouter } from "./invoices";
import { membersRouter } from "./members";
import { rolesRouter } from "./roles";
import { sharingRouter } from "./sharing";
import { supportRouter } from "./support";
import { tasksRouter } from "./tasks";
import { timeRouter } from "./time";
import { ratesRouter } from "./rates";
import { connectionsRouter, serversRouter } from "./vault";
import { workflowRouter } from "./workflow";
import { webhooksRouter } from "./webhooks";
import { exportsRouter } from "./exports";
import { terminationRouter } from "./termination";
import { digestRouter } from "./digest";
import { subjectRequestsRouter } from "./subject-requests";

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
  members: membersRouter,
  roles: rolesRouter,
  invitations: invitationsRouter,
  sharing: sharingRouter,
  apiTokens: apiTokensRouter,
  // Domain routers are added below, one line each.
  reports: reportsRouter,
  dashboard: dashboardRouter,
  tasks: tasksRouter,
  requests: requestsRouter,
  workflow: workflowRouter,
  labels: labelsRouter,
  comments: commentsRouter,
  activity: activityRouter,
  invoices: invoicesRouter,
  payments: paymentsRouter,
  time: timeRouter,
  rates: ratesRouter,
  files: filesRouter,
  webhooks: webhooksRouter,
  connections: connectionsRouter,
  servers: serversRouter,
  exports: exportsRouter,
  termination: terminationRouter,
  digest: digestRouter,
  subjectRequests: subjectRequestsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
export type AppCaller = ReturnType<typeof createCaller>;
