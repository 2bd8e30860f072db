import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendDueDigests } from "../digest/send";
import { CHANNELS, QUERY_PATHS, ACCOUNT_QUERIES, type ChannelContext } from "./support/channels/channels";
import { leaksIn, REVEALED_CHANNELS, revealedOn, type Revealed } from "./support/channels/leaks";
import { REVEALING_PERMISSIONS } from "../permissions/catalogue";
import { ALL_MARKERS, HIDDEN_MONEY, marker, PHASES, type Phase } from "./support/channels/markers";
import { startReceiver, type Receiver } from "./support/channels/receiver";
import { enterPhase, isBarred, seedChannelWorld, VIEWERS, type ChannelWorld, type Viewer } from "./support/channels/world";
import { startInstance, type Instance } from "./support/instance";
import { tenantCalls } from "./support/procedure-inputs";
import { tenantProcedurePaths } from "../trpc/access-check";
import { appRouter } from "../routers/_app";

/**
 * The channel dimension of the proof (issue 25 item 5): one organisation with a project shared with
 * no one, whose every string carries a marker and whose rate is 987.65, read through every way data
 * leaves the server — each query procedure (from the router), each page's loader, mail, webhook
 * deliveries, the organisation export — by each narrow viewer. No marker and no hidden money figure
 * may come out, unless a permission the viewer holds declares in the catalogue that it reveals that
 * channel (`reveals`). The story goes on: a project is unshared, a member demoted, another removed,
 * and the owner keeps working where they can no longer see; each change is read again.
 */

let instance: Instance;
let rx: Receiver;
let world: ChannelWorld;
const since = { mail: 0, received: 0 };
const HOUR = 3_600_000;

/** Who must be checked in each phase: those from whom something is barred, and whom the phase concerns. */
const CHECKED: Record<Phase, string[]> = {
  initial: ["member", "blind", "norates", "hooks", "contact"],
  unshared: ["member", "contact"],
  demoted: ["demoted"],
  removed: ["leaver"],
};

const ctx = (): ChannelContext => ({ instance, world, rx, since });
const viewer = (name: string) => world.viewers.find((v) => v.name === name)!;

/**
 * What may not reach `v` in `phase`: the markers and, since a payload about a hidden row need carry no
 * marked text (a time entry's duration, an invoice's total), the hidden project's id; and the money.
 */
function barred(v: Viewer, phase: Phase, revealed: ReadonlySet<Revealed> = new Set()) {
  const blind = isBarred(v.blindFrom, phase) && !revealed.has("hidden") ? [...ALL_MARKERS, world.hidden.projectId] : [];
  return [...blind, ...(isBarred(v.moneyBlindFrom, phase) && !revealed.has("money") ? HIDDEN_MONEY : [])];
}

/** The viewer's permissions now (none once removed): what a catalogue declaration is checked against. */
const held = new Map<string, string[]>();
async function permissionsOf(v: Viewer) {
  if (!held.has(v.name)) {
    const me = await v.client.query("members.me", { org: world.slug });
    held.set(v.name, me.status === 200 ? (me.data.permissions as string[]) : []);
  }
  return held.get(v.name)!;
}

/**
 * After the owner's work of a phase: the next morning's digests go out (real SMTP) and every
 * webhook delivery is sent to the real receiver.
 */
async function deliverEverything() {
  const next = new Date(instance.clock.now() + 24 * HOUR);
  const digestTime = Date.UTC(next.getUTCFullYear(), next.getUTCMonth(), next.getUTCDate(), 6, 5);
  instance.clock.advance(digestTime - instance.clock.now());
  await sendDueDigests(instance.services);
  for (let i = 0; i < 50 && instance.services.webhooks.dueTenants().size > 0; i++) await instance.services.webhooks.runOnce();
  held.clear();
}

beforeAll(async () => {
  instance = await startInstance();
  instance.services.webhooks.stop();
  rx = await startReceiver();
  world = await seedChannelWorld(instance, "channels", rx);
  await deliverEverything();
}, 120_000);
afterAll(async () => {
  await rx?.close();
  await instance?.stop();
});

describe("the channels proof", () => {
  it("covers every query procedure with an input, by name", () => {
    const tenant = new Set(tenantProcedurePaths(appRouter));
    const missing = QUERY_PATHS.filter((p) => (tenant.has(p) ? !tenantCalls[p] : !(p in ACCOUNT_QUERIES)));
    expect(missing).toEqual([]);
  });

  it("can fail: the owner, who sees everything, finds the markers and the money where they are", async () => {
    const o = world.owner.client;
    const tasks = JSON.stringify((await o.query("tasks.list", { org: world.slug, limit: 200 })).data);
    expect(leaksIn(tasks, ALL_MARKERS)).not.toEqual([]);
    const invoice = JSON.stringify((await o.query("invoices.get", { org: world.slug, id: world.invoiceId })).data);
    expect(leaksIn(invoice, HIDDEN_MONEY)).not.toEqual([]);
    expect(rx.bodiesFor("leaver").join("\n")).toContain(marker("initial"));
  });

  it("can pass: a viewer blind to the hidden project reads tasks.list with its own rows and nothing barred", async () => {
    const read = await CHANNELS.find((c) => c.name === "tasks.list")!.read(viewer("blind"), ctx());
    expect(read).toContain("Open task");
    expect(leaksIn(read, barred(viewer("blind"), "initial"))).toEqual([]);
  });

  it("is not vacuous: every page's loader answers the owner with its data (staff-only and start pages aside)", async () => {
    const owner: Viewer = { ...viewer("member"), name: "owner", client: world.owner.client, webhookId: null };
    const refused: string[] = [];
    for (const c of CHANNELS.filter((c) => c.name.startsWith("page "))) {
      const lines = (await c.read(owner, ctx())).split("\n");
      if (!lines.some((l) => /^(\{|\[|2\d\d )/.test(l))) refused.push(`${c.name}: ${lines[0]!.slice(0, 120)}`);
    }
    expect(refused).toEqual([expect.stringMatching(/^page _index: 302/), expect.stringMatching(/^page admin.security: 403/)]);
  });

  it("honours a catalogue declaration: a held permission that reveals a channel (or a prefix of it) exempts only what it declares", () => {
    const reveals = (p: string) =>
      p === "audit.view"
        ? { channels: ["audit.list", "page o.$slug.audit*"], shows: ["hidden", "money"] as Revealed[] }
        : p === "invoice.create"
          ? { channels: ["invoices.preview"], shows: ["money"] as Revealed[] }
          : { channels: [], shows: [] };
    expect(revealedOn("audit.list", ["org.view", "audit.view"], reveals).by).toEqual(["audit.view"]);
    expect(revealedOn("page o.$slug.audit.export", ["audit.view"], reveals).by).toEqual(["audit.view"]);
    expect(revealedOn("audit.export", ["audit.view"], reveals).by).toEqual([]);
    expect(revealedOn("audit.list", ["org.view"], reveals).by).toEqual([]);
    expect([...revealedOn("invoices.preview", ["invoice.create"], reveals).shows]).toEqual(["money"]);
  });

  it("knows where every declaration of the catalogue applies, and declares nothing the catalogue does not", () => {
    expect(Object.keys(REVEALED_CHANNELS).sort()).toEqual(REVEALING_PERMISSIONS.map((r) => r.permission).sort());
  });

  it("mailed the digests and delivered the webhooks it reads", () => {
    expect(instance.smtp.inbox.some((m) => m.to.includes(viewer("member").email) && m.text.includes("/digest/unsubscribe?token="))).toBe(
      true,
    );
    expect(rx.bodiesFor("blind").length).toBeGreaterThan(0);
  });
});

describe.each(PHASES)("%s", (phase) => {
  beforeAll(async () => {
    if (phase === "initial") return;
    since.mail = instance.smtp.inbox.length;
    since.received = rx.received.length;
    await enterPhase(instance, world, phase);
    await deliverEverything();
  }, 120_000);

  describe.each(VIEWERS.filter((v) => CHECKED[phase].includes(v.name)).map((v) => v.name))("as %s", (name) => {
    it.each(CHANNELS.map((c) => c.name))("%s shows nothing barred", async (channelName) => {
      const v = viewer(name);
      const channel = CHANNELS.find((c) => c.name === channelName)!;
      const text = await channel.read(v, ctx());
      // What the catalogue declares this channel shows holders of a broad permission is not a leak.
      const { shows } = revealedOn(channel.name, await permissionsOf(v));
      const leaks = leaksIn(text, barred(v, phase, shows));
      expect(leaks, `${channelName} showed ${name} what is barred:\n${leaks.join("\n")}\n`).toEqual([]);
    });
  });
});
