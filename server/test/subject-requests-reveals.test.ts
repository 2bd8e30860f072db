import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { revealsOf } from "../permissions/catalogue";
import { inviteMember, userWithOrg } from "./support/accounts";
import type { Client } from "./support/client";
import { startInstance, type Instance } from "./support/instance";

/**
 * privacy.subject_requests reads every searched column of the organisation's file, through no
 * sharing, invoice or audit rule: its excerpts show text from projects not shared with the reader,
 * from invoices without invoice.read and from the audit log without audit.view. That is the tool's
 * job (a request covers the whole organisation), so, as ADR 014 asks of such a channel, the
 * catalogue must say so beside the box an owner ticks when giving it to a custom role.
 */
const org = "dsr-reveals";
const NAME = "Zelda Quartermaine";

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;

async function call<T>(c: Client, kind: "query" | "mutate", path: string, input: Record<string, unknown>): Promise<T> {
  const res = kind === "query" ? await c.query(path, { org, ...input }) : await c.mutate(path, { org, ...input });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.error)}`);
  return res.data as T;
}

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, org);
  const client = await call<{ id: string }>(owner.client, "mutate", "clients.create", { name: "Acme" });
  const hidden = await call<{ id: string }>(owner.client, "mutate", "projects.create", { clientId: client.id, name: "Board only" });
  await call(owner.client, "mutate", "tasks.create", {
    projectId: hidden.id,
    title: "Plan",
    description: `Severance for ${NAME}: 3 months`,
  });
}, 60_000);
afterAll(() => instance.stop());

describe("a role with privacy.subject_requests and nothing else", () => {
  it("reads a project not shared with it through the search's excerpts, which the catalogue declares", async () => {
    const role = await call<{ id: string }>(owner.client, "mutate", "roles.create", {
      name: "Privacy officer",
      permissions: ["org.view", "privacy.subject_requests"],
    });
    const officer = await inviteMember(instance, owner.client, org, role.id);
    const tasks = await officer.client.query("tasks.list", { org });
    expect(JSON.stringify(tasks.data ?? null)).not.toContain("Severance");
    const found = await call<{ matches: { table: string; excerpt: string }[] }>(officer.client, "query", "subjectRequests.search", {
      kind: "name",
      term: NAME,
    });
    expect(found.matches.find((m) => m.table === "tasks")?.excerpt).toContain("Severance");
    expect(revealsOf("privacy.subject_requests")).toMatch(/not shared/);
  });
});
