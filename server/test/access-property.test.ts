import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_PERMISSIONS, type Permission } from "../permissions/catalogue";
import { BUILT_IN_ROLES } from "../permissions/roles";
import type { Client } from "./support/client";
import { inviteMember, userWithOrg } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import { readableProjectSets } from "./support/visible-lists";

/**
 * Property: for any role, client tie, shared-space placement and set of shares, what a member can read
 * through every list, report and export equals what the sharing rule says. The rule is restated here
 * as a plain model, independent of the SQL in db/tenant/visibility.ts.
 */

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
let viewer: { client: Client; userId: string };
let otherUserId: string;
let customRole: string;
const org = "prop-org";
const clients: string[] = [];
const projects: { id: string; clientId: string; name: string }[] = [];

interface Scenario {
  role: "member" | "manager" | "client" | "custom";
  customPermissions: Permission[];
  clientTie: number | null;
  placement: { sharedSpace: boolean; shares: ("viewer" | "other" | "viewerRole" | "otherRole" | "ownClient" | "otherClient")[] }[];
}

const grantable = ALL_PERMISSIONS.filter((p) => p !== "org.view" && p !== "project.read");
const scenario: fc.Arbitrary<Scenario> = fc.record({
  role: fc.constantFrom("member", "manager", "client", "custom"),
  // Custom roles always may open the organisation and read projects; the rest is random, project.read.all included.
  customPermissions: fc.subarray(grantable).map((ps) => ["org.view", "project.read", ...ps] as Permission[]),
  clientTie: fc.option(fc.constantFrom(0, 1), { nil: null }),
  placement: fc.array(
    fc.record({
      sharedSpace: fc.boolean(),
      shares: fc.subarray(["viewer", "other", "viewerRole", "otherRole", "ownClient", "otherClient"] as const),
    }),
    { minLength: 6, maxLength: 6 },
  ),
});

function roleKey(s: Scenario) {
  return s.role === "custom" ? customRole : s.role;
}

function permissionsOf(s: Scenario): Set<Permission> {
  return new Set(s.role === "custom" ? s.customPermissions : BUILT_IN_ROLES[s.role]);
}

function tieOf(s: Scenario) {
  // The built-in client role always belongs to a client.
  const tie = s.role === "client" ? (s.clientTie ?? 0) : s.clientTie;
  return tie === null ? null : clients[tie]!;
}

/** The sharing rule, restated. */
function expectedVisible(s: Scenario): string[] {
  const tie = tieOf(s);
  const seeAll = permissionsOf(s).has("project.read.all") && tie === null;
  return projects
    .filter((p, i) => {
      const { sharedSpace, shares } = s.placement[i]!;
      if (seeAll) return true;
      if (tie !== null) return p.clientId === tie && shares.includes("ownClient");
      return sharedSpace || shares.includes("viewer") || shares.includes("viewerRole");
    })
    .map((p) => p.id)
    .sort();
}

/** Puts the scenario straight into the tenant file; the API reads role and shares on every request. */
async function apply(s: Scenario) {
  const lease = await instance.services.pool.acquire(owner.tenantId);
  try {
    await lease.db.transaction().execute(async (trx) => {
      await trx
        .updateTable("roles")
        .set({ permissions: JSON.stringify(s.customPermissions) })
        .where("id", "=", customRole)
        .execute();
      await trx
        .updateTable("members")
        .set({ role: roleKey(s), client_id: tieOf(s) })
        .where("user_id", "=", viewer.userId)
        .execute();
      await trx.deleteFrom("project_shares").execute();
      for (const [i, p] of projects.entries()) {
        const { sharedSpace, shares } = s.placement[i]!;
        await trx
          .updateTable("projects")
          .set({ shared_space: sharedSpace ? 1 : 0 })
          .where("id", "=", p.id)
          .execute();
        const subjects = shares.map((share) => {
          switch (share) {
            case "viewer":
              return { kind: "member" as const, id: viewer.userId };
            case "other":
              return { kind: "member" as const, id: otherUserId };
            case "viewerRole":
              return { kind: "role" as const, id: roleKey(s) };
            case "otherRole":
              return { kind: "role" as const, id: roleKey(s) === "manager" ? "member" : "manager" };
            case "ownClient":
              return { kind: "client" as const, id: p.clientId };
            // The API refuses this; written directly, it stands for a stray row the rule must still ignore.
            case "otherClient":
              return { kind: "client" as const, id: clients.find((c) => c !== p.clientId)! };
          }
        });
        for (const subject of subjects) {
          await trx
            .insertInto("project_shares")
            .values({ project_id: p.id, subject_kind: subject.kind, subject_id: subject.id, created_by: null, created_at: 0 })
            .onConflict((oc) => oc.doNothing())
            .execute();
        }
      }
    });
  } finally {
    lease.release();
  }
}

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, org);
  for (const name of ["Client Zero", "Client One"]) clients.push((await owner.client.mutate("clients.create", { org, name })).data.id);
  for (let i = 0; i < 6; i++) {
    const clientId = clients[i % 2]!;
    const name = `Project ${i}`;
    projects.push({ id: (await owner.client.mutate("projects.create", { org, clientId, name })).data.id, clientId, name });
  }
  customRole = (await owner.client.mutate("roles.create", { org, name: "Random", permissions: ["org.view"] })).data.id;
  viewer = await inviteMember(instance, owner.client, org, "member", { name: "Viewer" });
  otherUserId = (await inviteMember(instance, owner.client, org, "member", { name: "Someone Else" })).userId;
  await readableProjectSets.seed({ instance, owner: owner.client, tenantId: owner.tenantId, org, projects, viewerId: viewer.userId });
}, 60_000);
afterAll(() => instance.stop());

describe("what a member can read equals what the sharing rule says", () => {
  it("for every list, report and export", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        await apply(s);
        const expected = expectedVisible(s);
        const permissions = permissionsOf(s);
        for (const lister of readableProjectSets.listers) {
          const got = await lister.read(viewer.client, { org, projects, permissions });
          const allowedToCall = lister.needs.every((p) => permissions.has(p));
          if (got === "forbidden") {
            expect(allowedToCall, `${lister.name} refused though the role has ${lister.needs.join(" + ")}`).toBe(false);
            continue;
          }
          expect(allowedToCall, `${lister.name} answered without ${lister.needs.join(" + ")}`).toBe(true);
          // A list shows a subset of the visible projects (only those with rows of its kind), never a hidden one.
          const allowed = new Set(expected);
          for (const id of got) expect(allowed.has(id), `${lister.name} showed hidden project ${id}`).toBe(true);
          if (lister.complete) expect(got.sort(), `${lister.name} missed a visible project`).toEqual(expected);
        }
      }),
      { numRuns: 40 },
    );
  }, 240_000);
});
