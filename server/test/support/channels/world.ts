import { ALL_PERMISSIONS, type Permission } from "../../../permissions/catalogue";
import { WEBHOOK_EVENTS } from "../../../webhooks/events";
import { inviteMember, userWithOrg } from "../accounts";
import { ok, type Client } from "../client";
import type { Instance } from "../instance";
import type { Target } from "../world";
import { HIDDEN_RATE, marker, phaseIndex, type Phase } from "./markers";
import type { Receiver } from "./receiver";

const HOUR = 3_600_000;
const OPEN_RATE = 12_000;

/** A narrow (or soon narrowed) person and the phase from which the hidden strings are barred to them. */
export interface ViewerSpec {
  name: string;
  role: string | Permission[];
  /** A client contact of the world's client. */
  contact?: boolean;
  /** Shared explicitly: the open project, and the project withdrawn in the "unshared" phase. */
  shares: ("open" | "withdrawn")[];
  /** From this phase on the hidden projects' strings are barred (null: sees every project throughout). */
  blindFrom: Phase | null;
  /** From this phase on the hidden rate and amounts are barred. */
  moneyBlindFrom: Phase | null;
}

const allBut = (...without: Permission[]) => ALL_PERMISSIONS.filter((p) => !without.includes(p));

export const VIEWERS: ViewerSpec[] = [
  { name: "member", role: "member", shares: ["open", "withdrawn"], blindFrom: "initial", moneyBlindFrom: "initial" },
  { name: "blind", role: allBut("project.read.all"), shares: ["open"], blindFrom: "initial", moneyBlindFrom: "initial" },
  {
    name: "norates",
    role: allBut("project.rates.view", "time.rates.manage"),
    shares: [],
    blindFrom: null,
    moneyBlindFrom: "initial",
  },
  { name: "hooks", role: ["org.view", "webhook.manage"], shares: [], blindFrom: "initial", moneyBlindFrom: "initial" },
  { name: "contact", role: "client", contact: true, shares: ["open", "withdrawn"], blindFrom: "initial", moneyBlindFrom: "initial" },
  { name: "demoted", role: "admin", shares: [], blindFrom: "demoted", moneyBlindFrom: "demoted" },
  { name: "leaver", role: allBut("org.delete", "org.billing"), shares: [], blindFrom: "removed", moneyBlindFrom: "removed" },
];

export interface Viewer extends ViewerSpec {
  client: Client;
  email: string;
  userId: string;
  webhookId: string | null;
}

export const isBarred = (from: Phase | null, phase: Phase) => from !== null && phaseIndex(phase) >= phaseIndex(from);

/** The rows the generated inputs aim at: one set in projects the viewers see, one in the hidden project. */
export interface ChannelWorld {
  slug: string;
  tenantId: string;
  owner: Awaited<ReturnType<typeof userWithOrg>>;
  clientId: string;
  open: Target;
  hidden: Target;
  withdrawn: { projectId: string; taskId: string; memberEntryId: string };
  invoiceId: string;
  viewers: Viewer[];
}

/**
 * The organisation the channels proof reads: a client, an open project shared with the narrow
 * viewers, a project shared with the member and the client contact (withdrawn later), and a hidden
 * project shared with no one whose every string carries the marker and whose rate is 987.65. Every
 * viewer with webhook.manage subscribes a webhook to every event first, as the issue's reproduction
 * did; then the owner works.
 */
export async function seedChannelWorld(instance: Instance, slug: string, rx: Receiver): Promise<ChannelWorld> {
  const owner = await userWithOrg(instance, slug);
  const o = owner.client;
  const org = slug;
  ok(await o.mutate("settings.update", { org, timeZone: "UTC", digestHour: 6 }), "settings");
  const clientId = ok(
    await o.mutate("clients.create", { org, name: "Visible Client Ltd", contactEmail: `billing@${slug}.test` }),
    "client",
  ).id;
  const project = async (name: string, hourlyRate: number) =>
    ok(await o.mutate("projects.create", { org, clientId, name, hourlyRate }), name).id as string;
  const openId = await project("Open project", OPEN_RATE);
  const withdrawnId = await project("Withdrawn project", OPEN_RATE);
  const hiddenId = await project(`Project ${marker("initial", "name")}`, HIDDEN_RATE);

  const viewers: Viewer[] = [];
  for (const spec of VIEWERS) {
    let role = typeof spec.role === "string" ? spec.role : "";
    if (typeof spec.role !== "string") {
      role = ok(await o.mutate("roles.create", { org, name: `Role of ${spec.name}`, permissions: spec.role }), spec.name).id;
    }
    const m = await inviteMember(instance, o, org, role, { name: `Viewer ${spec.name}`, clientId: spec.contact ? clientId : undefined });
    const v: Viewer = { ...spec, client: m.client, email: m.email, userId: m.userId, webhookId: null };
    for (const which of spec.shares) {
      const subject = spec.contact ? { kind: "client", id: clientId } : { kind: "member", id: m.userId };
      const projectId = which === "open" ? openId : withdrawnId;
      ok(await o.mutate("sharing.add", { org, projectId, subject }), `share ${which} with ${spec.name}`);
    }
    const perms = ok(await m.client.query("members.me", { org }), "me").permissions as string[];
    if (perms.includes("webhook.manage")) {
      const hook = ok(
        await m.client.mutate("webhooks.create", { org, url: rx.urlFor(spec.name), events: [...WEBHOOK_EVENTS] }),
        `webhook of ${spec.name}`,
      );
      v.webhookId = hook.webhook.id;
    }
    ok(await m.client.mutate("digest.set", { org, optIn: true }), `digest of ${spec.name}`);
    viewers.push(v);
  }
  const member = viewers.find((v) => v.name === "member")!;

  const now = instance.clock.now();
  let slot = 0;
  // Back to back in the hours before now: one person's entries may not overlap.
  const entry = async (projectId: string, note: string, memberId?: string, hours = 2, billable = true) => {
    const startedAt = now - 3 * HOUR * ++slot;
    const input = { org, projectId, startedAt, endedAt: startedAt + hours * HOUR, note, billable };
    const res = memberId ? await o.mutate("time.createFor", { ...input, memberId }) : await o.mutate("time.create", input);
    return ok(res, `time in ${projectId}`).id as string;
  };
  const task = async (projectId: string, title: string, description = "") =>
    ok(await o.mutate("tasks.create", { org, projectId, title, description }), title).id as string;

  // Open project: what the narrow viewers may see.
  const openTask = await task(openId, "Open task", "Visible description");
  const openComment = ok(await o.mutate("comments.create", { org, taskId: openTask, body: "Visible comment" }), "comment").id;
  const openEntry = await entry(openId, "Visible note", undefined, 1);
  const openFile = await upload(o, org, openTask, "visible notes.txt", "Visible file\n");

  // Withdrawn project: the member comments and the owner logs the member's time there, while it is shared.
  const withdrawnTask = await task(withdrawnId, "Withdrawn task", "Shared for now");
  ok(await member.client.mutate("comments.create", { org, taskId: withdrawnTask, body: "Member's own comment" }), "member comment");

  // Hidden project: every string marked, the money distinctive.
  const hiddenTask = await task(hiddenId, `Task ${marker("initial", "title")}`, `Description ${marker("initial", "description")}`);
  const hiddenComment = ok(
    await o.mutate("comments.create", { org, taskId: hiddenTask, body: `Comment ${marker("initial", "comment")}` }),
    "hidden comment",
  ).id;
  ok(await o.mutate("requests.raise", { org, projectId: hiddenId, title: `Request ${marker("initial", "request")}` }), "hidden request");
  const hiddenEntry = await entry(hiddenId, `Note ${marker("initial", "note")}`);
  // Time in a project never shared with the member, logged for them (issue 25: the personal export showed it).
  await entry(hiddenId, `Note for member ${marker("initial", "member-note")}`, member.userId);
  const hiddenFile = await upload(o, org, hiddenTask, `${marker("initial", "file")}.txt`, `Content ${marker("initial", "content")}\n`);
  const statuses = ok(await o.query<{ id: string; category: string }[]>("workflow.list", { org }), "statuses");
  const done = statuses.find((s) => s.category === "done")!;
  ok(await o.mutate("tasks.move", { org, id: hiddenTask, statusId: done.id }), "move hidden");

  // An invoice drawn from every unbilled entry of the client, the hidden project's included; issued and part paid.
  const from = new Date(now - 30 * 86_400_000).toISOString().slice(0, 10);
  const to = new Date(now + 86_400_000).toISOString().slice(0, 10);
  const invoice = ok(await o.mutate("invoices.create", { org, clientId, from, to, lines: [] }), "invoice");
  const issuedOn = ok(await o.mutate<{ issue_date: string }>("invoices.issue", { org, id: invoice.id }), "issue").issue_date;
  const payment = ok(
    await o.mutate("payments.create", { org, invoiceId: invoice.id, paidOn: issuedOn, amount: 100, method: "bank_transfer" }),
    "payment",
  );

  // Unbilled hidden money, for the reports and the dashboard to leave out.
  await entry(hiddenId, `Unbilled ${marker("initial", "unbilled")}`);
  // After the invoice, so it stays unbilled and can be rewritten once the project is withdrawn.
  // Not billable: the unbilled total is then the hidden project's alone, a figure the suite knows.
  const memberEntry = await entry(withdrawnId, "Logged for the member", member.userId, 1, false);
  // A rate override on the hidden project: its audit row names the rate.
  const ownerUserId = await ownerId(instance, owner.email);
  ok(await o.mutate("rates.set", { org, memberId: ownerUserId, projectId: hiddenId, hourlyRate: HIDDEN_RATE }), "rate override");

  const base = { slug, clientId, invoiceId: invoice.id, issuedInvoiceId: invoice.id, paymentId: payment.payment.id, statusId: done.id };
  const open: Target = {
    ...base,
    projectId: openId,
    taskId: openTask,
    commentId: openComment,
    timeEntryId: openEntry,
    timeMemberId: ownerUserId,
    attachmentId: openFile,
  };
  const hidden: Target = {
    ...open,
    projectId: hiddenId,
    taskId: hiddenTask,
    commentId: hiddenComment,
    timeEntryId: hiddenEntry,
    attachmentId: hiddenFile,
  };
  return {
    slug,
    tenantId: owner.tenantId,
    owner,
    clientId,
    open,
    hidden,
    withdrawn: { projectId: withdrawnId, taskId: withdrawnTask, memberEntryId: memberEntry },
    invoiceId: invoice.id,
    viewers,
  };
}

async function ownerId(instance: Instance, email: string) {
  const u = await instance.services.control.selectFrom("users").select("id").where("email", "=", email).executeTakeFirstOrThrow();
  return u.id;
}

/** Through the streaming route, as the web app uploads. */
export async function upload(c: Client, org: string, taskId: string, name: string, content: string) {
  const qs = new URLSearchParams({ org, target: "task", id: taskId, name });
  const res = await c.raw("POST", `/api/files/upload?${qs}`, content, { origin: c.baseUrl, "content-type": "application/octet-stream" });
  const body = (await res.json()) as { file?: { id: string } };
  if (res.status !== 201 || !body.file) throw new Error(`upload ${name}: ${res.status}`);
  return body.file.id;
}

/**
 * The changes that open each later phase, made by the owner, each followed by fresh work in the
 * project(s) the affected viewers can no longer see, written with the phase's own marker.
 */
export async function enterPhase(instance: Instance, w: ChannelWorld, phase: Exclude<Phase, "initial">) {
  const o = w.owner.client;
  const org = w.slug;
  const viewer = (name: string) => w.viewers.find((v) => v.name === name)!;
  const now = instance.clock.now();
  const work = async (projectId: string) => {
    const id = ok(
      await o.mutate("tasks.create", {
        org,
        projectId,
        title: `Task ${marker(phase, "title")}`,
        description: `Description ${marker(phase, "description")}`,
      }),
      "task",
    ).id;
    ok(await o.mutate("comments.create", { org, taskId: id, body: `Comment ${marker(phase, "comment")}` }), "comment");
    const startedAt = now - 3 * HOUR;
    ok(
      await o.mutate("time.create", { org, projectId, startedAt, endedAt: startedAt + 2 * HOUR, note: `Note ${marker(phase, "note")}` }),
      "time",
    );
  };
  if (phase === "unshared") {
    ok(
      await o.mutate("sharing.remove", { org, projectId: w.withdrawn.projectId, subject: { kind: "member", id: viewer("member").userId } }),
      "unshare member",
    );
    ok(
      await o.mutate("sharing.remove", { org, projectId: w.withdrawn.projectId, subject: { kind: "client", id: w.clientId } }),
      "unshare client",
    );
    ok(
      await o.mutate("projects.update", { org, id: w.withdrawn.projectId, name: `Project ${marker(phase, "name")}`, clientId: w.clientId }),
      "rename",
    );
    ok(
      await o.mutate("tasks.update", {
        org,
        id: w.withdrawn.taskId,
        title: `Task ${marker(phase, "renamed")}`,
        description: `Rewritten ${marker(phase, "rewritten")}`,
      }),
      "rewrite",
    );
    ok(await o.mutate("time.update", { org, id: w.withdrawn.memberEntryId, note: `Note ${marker(phase, "member-note")}` }), "renote");
    await work(w.withdrawn.projectId);
  } else if (phase === "demoted") {
    ok(await o.mutate("members.setRole", { org, userId: viewer("demoted").userId, role: "member" }), "demote");
    await work(w.hidden.projectId);
  } else {
    ok(await o.mutate("members.remove", { org, userId: viewer("leaver").userId }), "remove");
    await work(w.hidden.projectId);
  }
}
