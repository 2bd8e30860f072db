import { readdirSync, readFileSync } from "node:fs";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import yauzl from "yauzl";
import { exportsIdle } from "../../../export/jobs";
import { appRouter, createCaller } from "../../../routers/_app";
import { procedureDefs, tenantProcedurePaths } from "../../../trpc/access-check";
import { createContext } from "../../../trpc/context";
import type { Client } from "../client";
import type { Instance } from "../instance";
import { tenantCalls } from "../procedure-inputs";
import type { Target } from "../world";
import type { Receiver } from "./receiver";
import type { ChannelWorld, Viewer } from "./world";

/** What a channel needs to read as a viewer: the world, and where this phase's mail and deliveries start. */
export interface ChannelContext {
  instance: Instance;
  world: ChannelWorld;
  rx: Receiver;
  since: { mail: number; received: number };
}

/** One way data leaves the server, read as one viewer: everything it answers, as text. */
export interface Channel {
  name: string;
  read(v: Viewer, ctx: ChannelContext): Promise<string>;
}

const DAY = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** Around the manual clock, inside every report's range limit. */
const around = (ctx: ChannelContext) => ({ from: day(ctx.instance.clock.now() - 60 * DAY), to: day(ctx.instance.clock.now() + DAY) });

const defs = procedureDefs(appRouter);
const tenantPaths = new Set(tenantProcedurePaths(appRouter));
export const QUERY_PATHS = Object.keys(defs)
  .filter((p) => defs[p]!.type === "query")
  .sort();

/**
 * Inputs for the queries outside the tenant door (the caller's own account, the public ones). A
 * query missing here and from procedure-inputs.ts fails the suite by name.
 */
export const ACCOUNT_QUERIES: Record<string, unknown[]> = {
  "auth.status": [undefined],
  "account.sessions": [undefined],
  "account.exportData": [undefined],
  "orgs.mine": [undefined],
  "security.myHistory": [{}],
  "security.platformLog": [{}],
  "support.pending": [undefined],
  "support.current": [undefined],
  "invitations.preview": [{ token: "x".repeat(43) }],
  "termination.closed": [undefined],
};

/**
 * The broadest reading of a query, beside the generated inputs aimed at one visible and one hidden
 * row: no filter, the largest page, every report and format. Only what a caller may ask for anyway.
 */
const BROAD: Record<string, (org: string, ctx: ChannelContext, v: Viewer) => unknown[]> = {
  "audit.list": (org) => [{ org, limit: 200 }],
  "audit.export": (org) => [
    { org, format: "csv" },
    { org, format: "json" },
  ],
  "tasks.list": (org) => [{ org, limit: 200 }],
  "tasks.board": (org) => [{ org }],
  "time.list": (org, ctx) => [{ org, ...around(ctx) }],
  "time.listAll": (org, ctx) => [{ org, ...around(ctx) }],
  "invoices.list": (org) => [{ org }],
  "invoices.preview": (org, ctx) => [{ org, clientId: ctx.world.clientId, ...around(ctx) }],
  "reports.hours": (org, ctx) => ["project", "client", "member", "task"].map((groupBy) => ({ org, ...around(ctx), groupBy })),
  "reports.budgets": (org) => [{ org }],
  "reports.utilisation": (org, ctx) => [{ org, ...around(ctx) }],
  "reports.unbilled": (org) => [{ org }],
  "reports.financials": (org, ctx) => [{ org, ...around(ctx) }],
  "reports.export": (org, ctx) => [
    { org, report: "hours", groupBy: "project", ...around(ctx) },
    { org, report: "hours", groupBy: "task", ...around(ctx) },
    { org, report: "budgets" },
    { org, report: "utilisation", ...around(ctx) },
    { org, report: "unbilled" },
    { org, report: "financials", ...around(ctx) },
  ],
  // Every webhook's log, not only the viewer's own: a log shows a payload only to those who could see it.
  "webhooks.deliveries": (org, ctx) => ctx.world.viewers.flatMap((w) => (w.webhookId ? [{ org, webhookId: w.webhookId, limit: 200 }] : [])),
  "activity.project": (org, ctx) => [{ org, projectId: ctx.world.open.projectId }],
  "digest.projectReport": (org, ctx) => [{ org, projectId: ctx.world.open.projectId, ...around(ctx) }],
  "subjectRequests.search": (org, ctx) => [{ org, kind: "name", term: `Owner of ${ctx.world.slug}` }],
};

/** The viewer's own reading of a target: their own webhook, their own entries where a call names a member. */
const asViewer = (t: Target, v: Viewer): Target => ({ ...t, webhookId: v.webhookId ?? `h${"a".repeat(24)}` });

async function answer(c: Client, path: string, input: unknown) {
  const res = await c.query(path, input);
  // A fault is not a refusal: it may be hiding what the answer would have shown.
  if (res.status >= 500) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(res.error)}`);
  return JSON.stringify({ status: res.status, data: res.data, error: res.error });
}

/** Every query procedure of the router, called as the viewer on a visible row, a hidden row, and as broadly as allowed. */
function queryChannel(path: string): Channel {
  return {
    name: path,
    async read(v, ctx) {
      const org = ctx.world.slug;
      let inputs: unknown[];
      if (tenantPaths.has(path)) {
        const call = tenantCalls[path];
        if (!call) throw new Error(`no generated input for ${path}: add it to server/test/support/procedure-inputs.ts`);
        inputs = [
          call.input(asViewer(ctx.world.open, v)),
          call.input(asViewer(ctx.world.hidden, v)),
          ...(BROAD[path]?.(org, ctx, v) ?? []),
        ];
      } else {
        const own = ACCOUNT_QUERIES[path];
        if (!own) throw new Error(`no input for ${path}: add it to ACCOUNT_QUERIES in server/test/support/channels/channels.ts`);
        inputs = own;
      }
      const out: string[] = [];
      for (const input of inputs) out.push(await answer(v.client, path, input));
      return out.join("\n");
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Remix pages: each route module's loader, called with the viewer's cookie through the same
// server-side caller server/http/remix.ts builds (no UI build needed). What a loader returns is
// what the page renders and serialises into its HTML.

const ROUTES_DIR = fileURLToPath(new URL("../../../../app/routes/", import.meta.url));
/** Pages about an organisation or the signed-in person; public and one-shot pages (login, logout, links) are not channels. */
const PAGE_PREFIXES = ["o.$slug", "account", "orgs", "_index", "admin."];

export const PAGE_ROUTES = readdirSync(ROUTES_DIR)
  .filter((f) => f.endsWith(".tsx") && PAGE_PREFIXES.some((p) => f.startsWith(p)))
  .filter((f) => /export (async function|const) loader/.test(readFileSync(join(ROUTES_DIR, f), "utf8")))
  .sort();

/** Which rows a page's $id names, by the word before it in the route's name; an unknown route fails by name. */
function idsFor(file: string, w: ChannelWorld): string[] {
  if (!file.includes("$id")) return [""];
  const word = /\.(\w+)\.\$id/.exec(file.replace("_.", "."))?.[1];
  const byWord: Record<string, string[]> = {
    clients: [w.clientId],
    invoices: [w.invoiceId],
    projects: [w.open.projectId, w.hidden.projectId],
    tasks: [w.open.taskId!, w.hidden.taskId!],
  };
  const ids = word ? byWord[word] : undefined;
  if (!ids) throw new Error(`no ids for page ${file}: say which rows its $id names in idsFor (server/test/support/channels/channels.ts)`);
  return ids;
}

/** The query strings a page is read with, beside none: its broadest filters, every report and format. */
const PAGE_SEARCHES: Record<string, (ctx: ChannelContext) => Record<string, string>[]> = {
  "o.$slug.reports": (ctx) => ["project", "client", "member", "task"].map((groupBy) => ({ ...around(ctx), groupBy })),
  "o.$slug.reports.export": (ctx) => [
    { report: "hours", groupBy: "project", ...around(ctx) },
    { report: "hours", groupBy: "task", ...around(ctx) },
    { report: "budgets" },
    { report: "utilisation", ...around(ctx) },
    { report: "unbilled" },
    { report: "financials", ...around(ctx) },
  ],
  "o.$slug.audit.export": () => [{ format: "csv" }, { format: "json" }],
  // The page echoes the projectId it was asked for, so it is asked for the open one (tasks.board gets the hidden one).
  "o.$slug.board": (ctx) => [{ projectId: ctx.world.open.projectId }],
  "o.$slug.invoices.new": (ctx) => [{ client: ctx.world.clientId, ...around(ctx) }],
  "o.$slug.time": (ctx) => [around(ctx)],
};

type Loader = (args: { request: Request; params: Record<string, string>; context: unknown }) => Promise<unknown>;

/**
 * A loader's answer as text: its data, or the body of the Response it returned or threw. A redirect
 * to the same page with default filters (`?from=…`) is followed, as the browser would.
 */
async function readLoader(loader: Loader, url: string, params: Record<string, string>, context: () => Promise<unknown>) {
  for (let hops = 0; ; hops++) {
    let r: unknown;
    try {
      r = await loader({ request: new Request(url), params, context: await context() });
    } catch (e) {
      if (!(e instanceof Response)) throw e;
      r = e;
    }
    if (!(r instanceof Response)) return JSON.stringify(r);
    const location = r.headers.get("location");
    if (r.status >= 300 && r.status < 400 && location?.startsWith("?") && hops < 3) {
      url = new URL(location, url).href;
      continue;
    }
    return `${r.status} ${location ?? ""} ${await r.text()}`;
  }
}

function pageChannel(file: string): Channel {
  const route = file.replace(/\.tsx$/, "");
  return {
    name: `page ${route}`,
    async read(v, ctx) {
      const mod = (await import(join(ROUTES_DIR, file))) as { loader: Loader };
      const context = async () => {
        const reqCtx = await createContext(ctx.instance.services, {
          cookieHeader: v.client.cookieHeader(),
          info: { ip: "127.0.0.1", userAgent: "channels-proof" },
          origin: ctx.instance.url,
          setCookie: () => {},
        });
        return { api: createCaller(reqCtx), viewer: reqCtx.viewer ? { ...reqCtx.viewer.user } : null };
      };
      const searches = [{}, ...(PAGE_SEARCHES[route]?.(ctx) ?? [])];
      const out: string[] = [];
      for (const id of idsFor(file, ctx.world)) {
        for (const search of searches) {
          const url = `${ctx.instance.url}/${route.replaceAll(".", "/")}?${new URLSearchParams(search)}`;
          out.push(await readLoader(mod.loader, url, { slug: ctx.world.slug, id }, context));
        }
      }
      return out.join("\n");
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Channels that are not a reply: mail, webhook deliveries, the organisation export.

const mailChannel: Channel = {
  name: "email (the daily digest and every other mail)",
  read: (v, ctx) =>
    Promise.resolve(
      ctx.instance.smtp.inbox
        .slice(ctx.since.mail)
        .filter((m) => m.to.includes(v.email))
        .map((m) => m.text)
        .join("\n"),
    ),
};

const webhookChannel: Channel = {
  name: "webhook deliveries received",
  read: (v, ctx) => Promise.resolve(ctx.rx.bodiesFor(v.name, ctx.since.received).join("\n")),
};

/** Every entry of a ZIP as text (the test archives are small). */
async function zipText(path: string): Promise<string> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true }, (e, z) => (e ? reject(e) : resolve(z))),
  );
  const parts: string[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on("entry", (entry: yauzl.Entry) =>
      zip.openReadStream(entry, (e, stream) => {
        if (e) return reject(e);
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          parts.push(`${entry.fileName}\n${Buffer.concat(chunks).toString("utf8")}`);
          zip.readEntry();
        });
      }),
    );
    zip.on("end", () => resolve());
    zip.on("error", reject);
    zip.readEntry();
  });
  zip.close();
  return parts.join("\n");
}

const orgExportChannel: Channel = {
  name: "organisation export",
  async read(v, ctx) {
    const org = ctx.world.slug;
    const started = await v.client.mutate("exports.start", { org });
    if (started.status !== 200) return JSON.stringify({ status: started.status, error: started.error });
    await exportsIdle(ctx.instance.services);
    const rows = (await v.client.query("exports.list", { org })).data as { id: string; downloadPath: string | null }[];
    const row = rows.find((r) => r.id === started.data.id);
    if (!row?.downloadPath) throw new Error(`export ${started.data.id} did not finish: ${JSON.stringify(row)}`);
    const res = await v.client.raw("GET", row.downloadPath);
    const dir = mkdtempSync(join(tmpdir(), "channels-proof-"));
    try {
      const file = join(dir, "export.zip");
      writeFileSync(file, Buffer.from(await res.arrayBuffer()));
      return await zipText(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** Every channel: each query procedure, each page, mail, webhooks, the organisation export. */
export const CHANNELS: Channel[] = [
  ...QUERY_PATHS.map(queryChannel),
  ...PAGE_ROUTES.map(pageChannel),
  mailChannel,
  webhookChannel,
  orgExportChannel,
];
