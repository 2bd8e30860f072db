import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { appRouter } from "../routers/_app";
import { procedureDefs, tenantProcedurePaths } from "../trpc/access-check";
import { verifiedUser } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import { outsiderCases } from "./support/outsider-calls";
import { OutsiderEnv } from "./support/outsider-env";
import { tenantCalls } from "./support/procedure-inputs";
import { CLIENT_CONTACT, CLIENT_NAME, stateDiff, victimOrg, VictimReader, type Victim } from "./support/victim";
import { orgWithData, type Target } from "./support/world";

/**
 * Isolation of effects, proven for every procedure of the router (issue 24, ARCHITECTURE "Tenant
 * context"): whatever an outsider calls — a verified owner of another organisation, or an anonymous
 * client for sign-up and links — with inputs built from a victim organisation's data (its slug, its
 * row ids, its members' and clients' names and addresses, substrings of those addresses), the
 * victim's file, blobs and control rows are as they were. One instance and one victim serve every
 * case; the victim's state is read before and after each.
 */

let instance: Instance;
let victim: Victim;
let outsider: Awaited<ReturnType<typeof orgWithData>>;
let env: OutsiderEnv;
let reader: VictimReader;

const allPaths = Object.keys(procedureDefs(appRouter));
/**
 * Procedures that archive, delete or end something run after the rest, so the outsider's own rows
 * that the other calls name (in its own organisation) still exist when they are called.
 */
const ENDS_SOMETHING = /\.(setArchived|delete|deleteAny|remove|revoke|void|leave|terminate)$/;
const tenantPaths = tenantProcedurePaths(appRouter).sort((a, b) => Number(ENDS_SOMETHING.test(a)) - Number(ENDS_SOMETHING.test(b)));
const otherPaths = allPaths.filter((p) => !tenantPaths.includes(p));

const state = () => reader.state();

beforeAll(async () => {
  instance = await startInstance();
  victim = await victimOrg(instance, "victimcorp");
  outsider = await orgWithData(instance, "outsider-org");
  const operator = await verifiedUser(instance, "Platform Operator");
  await instance.services.control.updateTable("users").set({ is_staff: 1 }).where("email", "=", operator.email).execute();
  env = new OutsiderEnv(instance, victim, outsider, operator.client);
  reader = new VictimReader(instance, victim);
}, 120_000);
afterAll(async () => {
  reader?.close();
  await instance?.stop();
});
beforeEach(() => {
  if (env) env.answers.length = 0;
});

/**
 * Runs `act` and requires that nothing of the victim's changed, that its file was not even opened
 * (nothing done outside an organisation has a reason to), and that no call ended in a 500.
 */
async function provesNoEffect(what: string, act: () => Promise<unknown>) {
  const { pool } = instance.services;
  await pool.close(victim.tenantId);
  const before = state();
  await act();
  // The case in the message: vitest prints one diff for failures whose messages are alike.
  expect(stateDiff(before, state()), `${what} changed the victim's data`).toEqual({});
  expect(pool.isOpen(victim.tenantId), `${what} opened the victim's file`).toBe(false);
  expect(env.answers.filter((a) => a.status >= 500)).toEqual([]);
}

describe("the effect-proof suite", () => {
  it("has cases for every procedure of the router, and none for a procedure that does not exist", () => {
    const covered = new Set([...Object.keys(tenantCalls), ...Object.keys(outsiderCases)]);
    expect(allPaths.filter((p) => !covered.has(p))).toEqual([]);
    expect([...covered].filter((p) => !allPaths.includes(p))).toEqual([]);
    expect(Object.keys(outsiderCases).filter((p) => tenantPaths.includes(p))).toEqual([]);
    for (const path of otherPaths) expect(outsiderCases[path]!.length, path).toBeGreaterThan(0);
  });

  it("fails a case that changes the victim's rows, naming the tables (the check itself can fail)", async () => {
    const rename = (name: string) => victim.client.mutate("clients.update", { org: victim.slug, id: victim.target.clientId, name });
    await expect(provesNoEffect("renaming a client", () => rename("Renamed by its owner"))).rejects.toThrow(
      "renaming a client changed the victim's data",
    );
    const before = state();
    expect((await rename(`Client of ${victim.slug}`)).status).toBe(200);
    expect(Object.keys(stateDiff(before, state()))).toEqual(expect.arrayContaining(["tenant:clients", "tenant:audit_log"]));
  });

  it("fails a case that merely opens the victim's file", async () => {
    const { pool } = instance.services;
    const peek = async () => (await pool.acquire(victim.tenantId)).release();
    await expect(provesNoEffect("a peek", peek)).rejects.toThrow("a peek opened the victim's file");
  });
});

/** Keys whose strings the outsider fills with the victim's names and addresses in its own organisation. */
const TEXT_KEY = /(email|name|title|description|notes|reason|body|text|search|query|label|message|comment|content)$/i;

function withVictimText(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => withVictimText(v, key));
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withVictimText(v, k)]));
  if (typeof value !== "string" || key === "org" || !TEXT_KEY.test(key)) return value;
  return /email/i.test(key) ? victim.memberEmail : `${CLIENT_NAME} ${CLIENT_CONTACT}`;
}

function callTenant(path: string, target: Target, input: (t: Target) => unknown = tenantCalls[path]!.input) {
  return env.call(outsider.client, tenantCalls[path]!.kind, path, input(target));
}

describe.each(tenantPaths)("%s", (path) => {
  it("by an outsider, in the victim's organisation with its ids: refused, and nothing of the victim's changes", async () => {
    await provesNoEffect(`${path} in the victim's organisation`, async () =>
      expect((await callTenant(path, victim.target)).status).toBe(404),
    );
  });

  it("by an outsider, in its own organisation with the victim's ids: nothing of the victim's changes", async () => {
    await provesNoEffect(`${path} with the victim's ids`, () => callTenant(path, { ...victim.target, slug: outsider.slug }));
  });

  it("by an outsider, in its own organisation with the victim's names and addresses: nothing of the victim's changes", async () => {
    await provesNoEffect(`${path} with the victim's text`, () =>
      callTenant(path, outsider.target, (t) => withVictimText(tenantCalls[path]!.input(t))),
    );
  });
});

describe.each(otherPaths)("%s", (path) => {
  for (const { label, run } of outsiderCases[path] ?? [])
    it(`${label}: nothing of the victim's changes`, async () => {
      await provesNoEffect(`${path} (${label})`, () => run(env));
    });
});

/** The streaming upload route beside tRPC goes through the same door (files.upload); it gets the same proof. */
describe("POST /api/files/upload", () => {
  const upload = async (org: string, taskId: string) => {
    const qs = new URLSearchParams({ org, target: "task", id: taskId, name: `${CLIENT_CONTACT}.txt` });
    const res = await outsider.client.raw("POST", `/api/files/upload?${qs}`, `About ${CLIENT_CONTACT}\n`, {
      origin: outsider.client.baseUrl,
      "content-type": "application/octet-stream",
    });
    env.answers.push({ path: "POST /api/files/upload", status: res.status });
    return res.status;
  };

  it("by an outsider, into the victim's task: not found, and nothing of the victim's changes", async () => {
    await provesNoEffect("an upload into the victim's task", async () =>
      expect(await upload(victim.slug, victim.target.taskId!)).toBe(404),
    );
  });

  it("by an outsider, in its own organisation naming the victim's task: not found, and nothing of the victim's changes", async () => {
    await provesNoEffect("an upload naming the victim's task", async () =>
      expect(await upload(outsider.slug, victim.target.taskId!)).toBe(404),
    );
  });
});
