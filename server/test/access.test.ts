import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../auth/accounts";
import { ALL_PERMISSIONS } from "../permissions/catalogue";
import { Client } from "./support/client";
import { STRONG_PASSWORD, inviteMember, uniqueEmail, userWithOrg, verifiedUser } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import { tenantDigest, tenantRows } from "./support/tenant-files";

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
const org = "access-org";
let clientA: string;
let clientB: string;
let projectA1: string;
let projectA2: string;
let projectB1: string;

const DAY = 24 * 3_600_000;

async function invite(email: string, role = "member", extra: Record<string, unknown> = {}) {
  const res = await owner.client.mutate("invitations.create", { org, email, role, ...extra });
  expect(res.status).toBe(200);
  return { id: res.data.id as string, token: new URL(instance.smtp.linkFor(email, "/invite")).searchParams.get("token")! };
}

function visibleIds(res: { status: number; data: { id: string }[] }) {
  expect(res.status).toBe(200);
  return res.data.map((p) => p.id).sort();
}

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, org);
  clientA = (await owner.client.mutate("clients.create", { org, name: "Client A" })).data.id;
  clientB = (await owner.client.mutate("clients.create", { org, name: "Client B" })).data.id;
  projectA1 = (await owner.client.mutate("projects.create", { org, clientId: clientA, name: "A one" })).data.id;
  projectA2 = (await owner.client.mutate("projects.create", { org, clientId: clientA, name: "A two" })).data.id;
  projectB1 = (await owner.client.mutate("projects.create", { org, clientId: clientB, name: "B one" })).data.id;
});
afterAll(() => instance.stop());

describe("invitations", () => {
  it("lets a new person join through the emailed link, with the invited role, and no second use", async () => {
    const email = uniqueEmail("new");
    const { token } = await invite(email, "manager");
    const preview = await new Client(instance.url).query("invitations.preview", { token });
    expect(preview.data).toMatchObject({ orgName: `Org ${org}`, email, roleName: "Manager", hasAccount: false });

    const newcomer = new Client(instance.url);
    const joined = await newcomer.mutate("invitations.acceptAsNewUser", { token, name: "New Person", password: STRONG_PASSWORD });
    expect(joined.status).toBe(200);
    expect(joined.data.slug).toBe(org);
    const members = await owner.client.query("members.list", { org });
    expect(members.data.find((m: { email: string }) => m.email === email)).toMatchObject({ role: "manager", roleName: "Manager" });
    // The invitation proved the address: no separate confirmation is needed to work.
    expect((await newcomer.query("projects.list", { org })).status).toBe(200);

    const again = await new Client(instance.url).mutate("invitations.acceptAsNewUser", {
      token,
      name: "Someone Else",
      password: STRONG_PASSWORD,
    });
    expect(again.status).toBe(404);
    expect(again.error?.message).toBe("This invitation has already been used.");
  });

  it("lets an existing account accept while signed in, and answers a repeat by the same person idempotently", async () => {
    const existing = await verifiedUser(instance, "Already Here");
    const { token } = await invite(existing.email);
    const first = await existing.client.mutate("invitations.accept", { token });
    expect(first.status).toBe(200);
    const repeat = await existing.client.mutate("invitations.accept", { token });
    expect(repeat.status).toBe(200);
    const rows = tenantRows(instance.dataDir, owner.tenantId, `select * from members where email = '${existing.email}'`);
    expect(rows).toHaveLength(1);
  });

  it("refuses an account with another email, even when it holds the link", async () => {
    const invited = uniqueEmail("invited");
    const { token } = await invite(invited);
    const thief = await verifiedUser(instance, "Link Holder");
    const before = tenantDigest(instance.dataDir, owner.tenantId);
    const res = await thief.client.mutate("invitations.accept", { token });
    expect(res.status).toBe(403);
    expect(res.error?.message).toContain(invited);
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(before);
    expect((await thief.client.query("clients.list", { org })).status).toBe(404);
    const logged = await instance.services.control.selectFrom("security_log").select("event").where("email", "=", thief.email).execute();
    expect(logged.map((r) => r.event)).toContain("invitation.refused");
  });

  it("refuses an expired link, and a resent one works while the old one does not", async () => {
    const email = uniqueEmail("late");
    const { id, token: old } = await invite(email);
    // Expired as if eight days had passed (moving the clock would also expire everyone's sessions).
    await instance.services.control
      .updateTable("invitations")
      .set({ expires_at: instance.clock.now() - DAY })
      .where("id", "=", id)
      .execute();
    const expired = await new Client(instance.url).mutate("invitations.acceptAsNewUser", {
      token: old,
      name: "Late",
      password: STRONG_PASSWORD,
    });
    expect(expired.status).toBe(404);
    expect(expired.error?.message).toBe("This invitation has expired. Ask for a new one.");
    const listed = await owner.client.query("invitations.list", { org });
    expect(listed.data.find((i: { id: string }) => i.id === id).state).toBe("expired");

    expect((await owner.client.mutate("invitations.resend", { org, id })).status).toBe(200);
    const fresh = new URL(instance.smtp.linkFor(email, "/invite")).searchParams.get("token")!;
    expect(fresh).not.toBe(old);
    expect(
      (await new Client(instance.url).mutate("invitations.acceptAsNewUser", { token: old, name: "Late", password: STRONG_PASSWORD }))
        .status,
    ).toBe(404);
    expect(
      (await new Client(instance.url).mutate("invitations.acceptAsNewUser", { token: fresh, name: "Late", password: STRONG_PASSWORD }))
        .status,
    ).toBe(200);
  });

  it("refuses a revoked link", async () => {
    const email = uniqueEmail("revoked");
    const { id, token } = await invite(email);
    expect((await owner.client.mutate("invitations.revoke", { org, id })).status).toBe(200);
    const res = await new Client(instance.url).mutate("invitations.acceptAsNewUser", {
      token,
      name: "Too Late",
      password: STRONG_PASSWORD,
    });
    expect(res.status).toBe(404);
    expect((await owner.client.mutate("invitations.resend", { org, id })).status).toBe(404);
    expect(await instance.services.control.selectFrom("users").select("id").where("email", "=", email).execute()).toEqual([]);
  });

  it("refuses to invite an existing member or to invite the same address twice", async () => {
    const member = await inviteMember(instance, owner.client, org, "member");
    const again = await owner.client.mutate("invitations.create", { org, email: member.email, role: "admin" });
    expect(again.status).toBe(409);
    expect(again.error?.message).toBe("That person is already a member of this organisation.");
    const email = uniqueEmail("twice");
    await invite(email);
    expect((await owner.client.mutate("invitations.create", { org, email: email.toUpperCase(), role: "member" })).status).toBe(409);
  });

  it("does not let staff join, nor an invitation for an address that has an account be taken by signing up", async () => {
    const staffEmail = uniqueEmail("staff");
    await createUser(instance.services, { name: "Staff", email: staffEmail, password: STRONG_PASSWORD, isStaff: true, verified: true });
    const staff = new Client(instance.url);
    await staff.mutate("auth.login", { email: staffEmail, password: STRONG_PASSWORD });
    const { token } = await invite(staffEmail);
    expect((await staff.mutate("invitations.accept", { token })).status).toBe(403);
    const signup = await new Client(instance.url).mutate("invitations.acceptAsNewUser", {
      token,
      name: "Impostor",
      password: STRONG_PASSWORD,
    });
    expect(signup.status).toBe(409);
  });

  it("needs the client for a client contact, and refuses a client of another kind of id", async () => {
    const noClient = await owner.client.mutate("invitations.create", { org, email: uniqueEmail("contact"), role: "client" });
    expect(noClient.status).toBe(400);
    expect(noClient.error?.message).toBe("Choose the client this contact belongs to.");
  });
});

describe("roles and escalation", () => {
  it("applies a custom role's permissions on the next request after an edit", async () => {
    const role = await owner.client.mutate("roles.create", { org, name: "Client reader", permissions: ["org.view", "client.read"] });
    const person = await inviteMember(instance, owner.client, org, role.data.id);
    expect((await person.client.query("clients.list", { org })).status).toBe(200);
    expect((await person.client.query("members.list", { org })).status).toBe(403);
    await owner.client.mutate("roles.update", { org, id: role.data.id, permissions: ["org.view", "member.read"] });
    expect((await person.client.query("clients.list", { org })).status).toBe(403);
    expect((await person.client.query("members.list", { org })).status).toBe(200);
  });

  it("refuses to delete a role while a member or a pending invitation holds it", async () => {
    const role = await owner.client.mutate("roles.create", { org, name: "Temporary", permissions: ["org.view"] });
    const email = uniqueEmail("held");
    const { id } = await invite(email, role.data.id);
    const held = await owner.client.mutate("roles.delete", { org, id: role.data.id });
    expect(held.status).toBe(409);
    expect(held.error?.message).toContain("pending invitation");
    await owner.client.mutate("invitations.revoke", { org, id });
    expect((await owner.client.mutate("roles.delete", { org, id: role.data.id })).status).toBe(200);
  });

  it("does not let an admin make themselves owner, demote an owner, or mint a role above their own", async () => {
    const admin = await inviteMember(instance, owner.client, org, "admin");
    const ownerId = (await owner.client.query("members.me", { org })).data.userId;
    const ownerInvite = await invite(uniqueEmail("future-owner"), "owner");
    const before = tenantDigest(instance.dataDir, owner.tenantId);

    const promote = await admin.client.mutate("members.setRole", { org, userId: admin.userId, role: "owner" });
    expect(promote.status).toBe(403);
    expect(promote.error?.message).toContain("org.delete");
    expect((await admin.client.mutate("members.setRole", { org, userId: ownerId, role: "member" })).status).toBe(403);
    expect((await admin.client.mutate("members.remove", { org, userId: ownerId })).status).toBe(403);
    expect((await admin.client.mutate("roles.create", { org, name: "Sneaky", permissions: ALL_PERMISSIONS })).status).toBe(403);
    expect((await admin.client.mutate("invitations.create", { org, email: uniqueEmail("sneaky"), role: "owner" })).status).toBe(403);
    // Nor re-key an owner's pending invitation someone else made.
    expect((await admin.client.mutate("invitations.resend", { org, id: ownerInvite.id })).status).toBe(403);
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(before);

    // Within their own permissions they can act: a manager is below an admin.
    const role = await admin.client.mutate("roles.create", { org, name: "Admin-made", permissions: ["org.view", "task.read"] });
    expect(role.status).toBe(200);
  });

  it("keeps the last owner: they cannot leave, be demoted or removed", async () => {
    const ownerId = (await owner.client.query("members.me", { org })).data.userId;
    const leave = await owner.client.mutate("members.leave", { org });
    expect(leave.status).toBe(409);
    expect(leave.error?.message).toContain("last owner");
    expect((await owner.client.mutate("members.setRole", { org, userId: ownerId, role: "admin" })).status).toBe(409);

    const second = await inviteMember(instance, owner.client, org, "owner");
    expect((await second.client.mutate("members.remove", { org, userId: ownerId })).status).toBe(200);
    expect((await owner.client.query("clients.list", { org })).status).toBe(404);
    // The remaining owner is now the last one.
    const last = await second.client.mutate("members.setRole", { org, userId: second.userId, role: "admin" });
    expect(last.status).toBe(409);
    // Restore the original owner for the rest of the file.
    await inviteMember(instance, second.client, org, "owner", { email: owner.email, existing: owner.client });
    expect((await owner.client.query("clients.list", { org })).status).toBe(200);
  });

  it("cuts a removed member off on their very next request, and drops what was shared with them", async () => {
    const member = await inviteMember(instance, owner.client, org, "member");
    await owner.client.mutate("sharing.add", { org, projectId: projectA1, subject: { kind: "member", id: member.userId } });
    expect(visibleIds(await member.client.query("projects.list", { org }))).toEqual([projectA1]);
    expect((await owner.client.mutate("members.remove", { org, userId: member.userId })).status).toBe(200);
    const res = await member.client.query("projects.list", { org });
    expect(res.status).toBe(404);
    expect(tenantRows(instance.dataDir, owner.tenantId, `select * from project_shares where subject_id = '${member.userId}'`)).toEqual([]);
    const audit = tenantRows<{ action: string }>(
      instance.dataDir,
      owner.tenantId,
      `select action from audit_log where target_id = '${member.userId}' order by id`,
    );
    expect(audit.map((a) => a.action)).toEqual(["member.join", "member.remove"]);
  });

  it("lets a member leave by themselves", async () => {
    const member = await inviteMember(instance, owner.client, org, "member");
    expect((await member.client.mutate("members.leave", { org })).status).toBe(200);
    expect((await member.client.query("orgs.mine")).data).toEqual([]);
    expect((await member.client.query("members.me", { org })).status).toBe(404);
  });
});

describe("sharing", () => {
  it("shows a member only what is shared with them, their role, or placed in the shared space", async () => {
    const role = await owner.client.mutate("roles.create", { org, name: "Shared viewer", permissions: ["org.view", "project.read"] });
    const viewer = await inviteMember(instance, owner.client, org, role.data.id);
    expect(visibleIds(await viewer.client.query("projects.list", { org }))).toEqual([]);
    expect((await viewer.client.query("projects.get", { org, id: projectA1 })).status).toBe(404);

    await owner.client.mutate("sharing.add", { org, projectId: projectA1, subject: { kind: "member", id: viewer.userId } });
    await owner.client.mutate("sharing.add", { org, projectId: projectA2, subject: { kind: "role", id: role.data.id } });
    await owner.client.mutate("sharing.setSharedSpace", { org, projectId: projectB1, shared: true });
    expect(visibleIds(await viewer.client.query("projects.list", { org }))).toEqual([projectA1, projectA2, projectB1].sort());

    await owner.client.mutate("sharing.remove", { org, projectId: projectA2, subject: { kind: "role", id: role.data.id } });
    await owner.client.mutate("sharing.setSharedSpace", { org, projectId: projectB1, shared: false });
    expect(visibleIds(await viewer.client.query("projects.list", { org }))).toEqual([projectA1]);
    await owner.client.mutate("sharing.remove", { org, projectId: projectA1, subject: { kind: "member", id: viewer.userId } });
  });

  it("shows a client contact only their own client's projects shared with that client", async () => {
    const contact = await inviteMember(instance, owner.client, org, "client", { clientId: clientA });
    expect(visibleIds(await contact.client.query("projects.list", { org }))).toEqual([]);
    await owner.client.mutate("sharing.add", { org, projectId: projectA1, subject: { kind: "client", id: clientA } });
    // Neither the shared space nor a share with their role reaches a client contact.
    await owner.client.mutate("sharing.setSharedSpace", { org, projectId: projectA2, shared: true });
    await owner.client.mutate("sharing.add", { org, projectId: projectB1, subject: { kind: "role", id: "client" } });
    expect(visibleIds(await contact.client.query("projects.list", { org }))).toEqual([projectA1]);
    expect((await contact.client.query("projects.get", { org, id: projectB1 })).status).toBe(404);
    const clients = await contact.client.query("clients.list", { org });
    expect(clients.data.map((c: { id: string }) => c.id)).toEqual([clientA]);
    expect((await contact.client.query("clients.get", { org, id: clientB })).status).toBe(404);

    const wrong = await owner.client.mutate("sharing.add", { org, projectId: projectB1, subject: { kind: "client", id: clientA } });
    expect(wrong.status).toBe(400);
    expect(wrong.error?.message).toBe("A project can be shared only with its own client.");
    await owner.client.mutate("sharing.setSharedSpace", { org, projectId: projectA2, shared: false });
    await owner.client.mutate("sharing.remove", { org, projectId: projectB1, subject: { kind: "role", id: "client" } });
  });

  it("lists who a project is shared with, by name", async () => {
    const member = await inviteMember(instance, owner.client, org, "member", { name: "Named Member" });
    await owner.client.mutate("sharing.add", { org, projectId: projectA2, subject: { kind: "member", id: member.userId } });
    await owner.client.mutate("sharing.add", { org, projectId: projectA2, subject: { kind: "role", id: "member" } });
    const got = await owner.client.query("sharing.get", { org, projectId: projectA2 });
    expect(got.data.shares.map((s: { kind: string; label: string }) => `${s.kind}:${s.label}`).sort()).toEqual(
      ["member:Named Member", "role:Member"].sort(),
    );
    expect(
      (await owner.client.mutate("sharing.add", { org, projectId: projectA2, subject: { kind: "member", id: "u" + "a".repeat(24) } }))
        .status,
    ).toBe(400);
  });
});

describe("rates and budgets", () => {
  it("are hidden from a role without project.rates.view, which cannot set them either", async () => {
    await owner.client.mutate("projects.update", { org, id: projectA1, hourlyRate: 12_000, budgetSeconds: 36_000 });
    const role = await owner.client.mutate("roles.create", {
      org,
      name: "Project editor",
      permissions: ["org.view", "project.read", "project.read.all", "project.update", "project.create"],
    });
    const editor = await inviteMember(instance, owner.client, org, role.data.id);
    const got = await editor.client.query("projects.get", { org, id: projectA1 });
    expect(got.data).toMatchObject({ hourly_rate: null, budget_seconds: null });
    const listed = await editor.client.query("projects.list", { org });
    expect(listed.data.every((p: { hourly_rate: unknown }) => p.hourly_rate === null)).toBe(true);
    expect(JSON.stringify(listed.data)).not.toContain("12000");

    const before = tenantDigest(instance.dataDir, owner.tenantId);
    const raise = await editor.client.mutate("projects.update", { org, id: projectA1, hourlyRate: 1 });
    expect(raise.status).toBe(403);
    expect(raise.error?.message).toContain("project.rates.view");
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(before);
    // Other fields can change, and the rate the editor cannot see stays as it was.
    expect((await editor.client.mutate("projects.update", { org, id: projectA1, name: "A one (renamed)" })).status).toBe(200);
    expect((await owner.client.query("projects.get", { org, id: projectA1 })).data).toMatchObject({
      name: "A one (renamed)",
      hourly_rate: 12_000,
      budget_seconds: 36_000,
    });
  });
});
