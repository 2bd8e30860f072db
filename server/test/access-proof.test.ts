import { createHash } from "node:crypto";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../routers/_app";
import { ALL_PERMISSIONS, type Permission } from "../permissions/catalogue";
import { procedureDefs, tenantProcedurePaths } from "../trpc/access-check";
import { BearerClient } from "./support/api-client";
import { Client } from "./support/client";
import { inviteMember } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import { tenantCalls } from "./support/procedure-inputs";
import { tenantDigest } from "./support/tenant-files";
import { orgWithData, type Target } from "./support/world";

/**
 * The proof that every tenant procedure enforces access, generated from the router itself: each
 * procedure is called (a) with no session, (b) by a member of another organisation, (c) by a member
 * whose role holds every permission but the one it declares, (d) by a member who may do everything
 * but cannot see the target project. Each must be refused with the right code, and no file may change.
 */

let instance: Instance;
let world: Awaited<ReturnType<typeof orgWithData>>;
let other: Awaited<ReturnType<typeof orgWithData>>;
let lacking: Client;
let lackingRole: string;
let blind: Client;

const defs = procedureDefs(appRouter);
const paths = tenantProcedurePaths(appRouter);
const permissionOf = (path: string) => defs[path]!.meta!.permission!;

/** Rows inside the target project: a caller who cannot see the project must not see these either. */
const INSIDE_PROJECT = ["projectId", "taskId", "commentId", "timeEntryId"];

function call(client: Client, path: string, target: Target) {
  const c = tenantCalls[path]!;
  return c.kind === "query" ? client.query(path, c.input(target)) : client.mutate(path, c.input(target));
}

/** Every file the platform writes: both tenant files and the control DB (sessions aside: they record last use). */
function snapshot() {
  const control = new Database(`${instance.dataDir}/control.sqlite`, { readonly: true });
  try {
    const hash = createHash("sha256");
    for (const table of control
      .prepare("select name from sqlite_master where type = 'table' and name <> 'sessions' order by name")
      .pluck()
      .all() as string[]) {
      hash.update(table + JSON.stringify(control.prepare(`select * from "${table}" order by rowid`).all()));
    }
    return [tenantDigest(instance.dataDir, world.tenantId), tenantDigest(instance.dataDir, other.tenantId), hash.digest("hex")];
  } finally {
    control.close();
  }
}

beforeAll(async () => {
  instance = await startInstance();
  world = await orgWithData(instance, "proof");
  other = await orgWithData(instance, "proof-other");
  const org = world.slug;
  lackingRole = (await world.client.mutate("roles.create", { org, name: "All but one", permissions: ALL_PERMISSIONS })).data.id;
  lacking = (await inviteMember(instance, world.client, org, lackingRole, { name: "Lacks One" })).client;
  const blindRole = (
    await world.client.mutate("roles.create", {
      org,
      name: "Sees shared only",
      permissions: ALL_PERMISSIONS.filter((p) => p !== "project.read.all"),
    })
  ).data.id;
  blind = (await inviteMember(instance, world.client, org, blindRole, { name: "Sees Shared Only" })).client;
}, 60_000);
afterAll(() => instance.stop());

describe("the proof suite", () => {
  it("covers every tenant procedure, each declaring a catalogue permission", () => {
    expect(Object.keys(tenantCalls).sort()).toEqual([...paths].sort());
    for (const path of paths) expect(ALL_PERMISSIONS).toContain(permissionOf(path));
  });
});

describe.each(paths)("%s", (path) => {
  it("(a) refuses a caller with no session, and no file changes", async () => {
    const before = snapshot();
    const res = await call(new Client(instance.url), path, world.target);
    expect(res.status).toBe(401);
    expect(res.error?.code).toBe("UNAUTHORIZED");
    expect(snapshot()).toEqual(before);
  });

  it("(b) refuses a member of another organisation as if the organisation did not exist", async () => {
    const before = snapshot();
    const res = await call(other.client, path, world.target);
    expect(res.status).toBe(404);
    expect(res.error?.code).toBe("NOT_FOUND");
    expect(res.error?.message).toBe("Organisation not found.");
    expect(snapshot()).toEqual(before);
  });

  it("(c) refuses an API token whose scopes lack only the declared permission, though its owner holds it", async () => {
    const needed = permissionOf(path);
    const created = await world.client.mutate("apiTokens.create", {
      org: world.slug,
      name: `all but ${needed}`,
      scopes: ALL_PERMISSIONS.filter((p) => p !== needed),
      expiresInDays: 1,
    });
    expect(created.status).toBe(200);
    const before = snapshot();
    const res = await call(new BearerClient(instance.url, created.data.token), path, world.target);
    expect(res.status).toBe(403);
    expect(res.error?.message).toContain(`needs ${needed}`);
    // Using a token records its last use; nothing else may change.
    await instance.services.control.updateTable("api_tokens").set({ last_used_at: null }).where("id", "=", created.data.id).execute();
    expect(snapshot()).toEqual(before);
  });

  it("(c) refuses a member whose role lacks only the declared permission", async () => {
    const needed = permissionOf(path);
    const revoke = await world.client.mutate("roles.update", {
      org: world.slug,
      id: lackingRole,
      permissions: ALL_PERMISSIONS.filter((p) => p !== needed),
    });
    expect(revoke.status).toBe(200);
    const before = snapshot();
    const res = await call(lacking, path, world.target);
    expect(res.status).toBe(403);
    expect(res.error?.code).toBe("FORBIDDEN");
    expect(res.error?.message).toContain(`needs ${needed}`);
    expect(snapshot()).toEqual(before);
  });
});

const reaching = (kind: "target" | "list") => paths.filter((p) => tenantCalls[p]?.project === kind);

describe.each(reaching("target"))("%s", (path) => {
  it("(d) refuses a member who cannot see the target project, as if it did not exist", async () => {
    const before = snapshot();
    const res = await call(blind, path, world.target);
    expect(res.status).toBe(404);
    expect(res.error?.code).toBe("NOT_FOUND");
    expect(snapshot()).toEqual(before);
  });
});

describe.each(reaching("list"))("%s", (path) => {
  it("(d) leaves the hidden project and everything in it out of the answer", async () => {
    const before = snapshot();
    const res = await call(blind, path, world.target);
    expect(res.status).toBe(200);
    const body = JSON.stringify(res.data);
    for (const key of INSIDE_PROJECT) if (world.target[key]) expect(body).not.toContain(world.target[key]);
    // A list reads nothing into the files; a mutation of this kind (an invoice drawn from visible time) may write its own rows.
    if (tenantCalls[path]!.kind === "query") expect(snapshot()).toEqual(before);
  });
});

/**
 * Permissions whose features are not built yet (their issues are open). Listed so that the check
 * below fails both ways: a catalogue name nobody enforces, or a name here that has become enforced.
 */
const AWAITING_FEATURES: Record<string, string> = {
  "org.billing": "plans are not built",
};
/** Enforced by the sharing rule in the tenant door rather than by a procedure's meta. */
const ENFORCED_BY_VISIBILITY: Permission[] = ["project.read.all"];

describe("the catalogue", () => {
  it("is enforced: every permission is declared by a procedure, save the listed exceptions", () => {
    const declared = new Set(paths.map(permissionOf));
    const undeclared = ALL_PERMISSIONS.filter((p) => !declared.has(p) && !ENFORCED_BY_VISIBILITY.includes(p));
    expect(undeclared.sort()).toEqual(Object.keys(AWAITING_FEATURES).sort());
  });
});
