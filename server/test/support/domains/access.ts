import type { TenantCalls } from "../calls";
import { inviteMember, uniqueEmail } from "../accounts";
import type { Seeding } from "../world";

/** Valid inputs for the members, roles, invitations, sharing, settings and API token procedures. */
export const accessCalls: TenantCalls = {
  "members.me": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  "members.list": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  "members.setRole": { kind: "mutation", input: (t) => ({ org: t.slug, userId: t.memberUserId, role: "member" }) },
  "members.remove": { kind: "mutation", input: (t) => ({ org: t.slug, userId: t.memberUserId }) },
  // Names no row: in another organisation's name it is refused at the door like every call.
  "members.leave": { kind: "mutation", input: (t) => ({ org: t.slug }), foreignIds: "no-ids" },
  "roles.list": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  "roles.create": {
    kind: "mutation",
    input: (t) => ({ org: t.slug, name: `Role ${Math.random()}`, permissions: ["task.read"] }),
    foreignIds: "answered",
  },
  "roles.update": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.roleId, description: "changed" }) },
  "roles.delete": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.roleId }) },
  "invitations.list": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  "invitations.create": {
    kind: "mutation",
    input: (t) => ({ org: t.slug, email: uniqueEmail("suite"), role: "member" }),
    foreignIds: "answered",
  },
  "invitations.resend": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.invitationId }) },
  "invitations.revoke": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.invitationId }) },
  "sharing.get": { kind: "query", input: (t) => ({ org: t.slug, projectId: t.projectId }), project: "target" },
  "sharing.add": {
    kind: "mutation",
    input: (t) => ({ org: t.slug, projectId: t.projectId, subject: { kind: "role", id: "member" } }),
    project: "target",
  },
  "sharing.remove": {
    kind: "mutation",
    input: (t) => ({ org: t.slug, projectId: t.projectId, subject: { kind: "member", id: t.memberUserId } }),
    project: "target",
  },
  "sharing.setSharedSpace": { kind: "mutation", input: (t) => ({ org: t.slug, projectId: t.projectId, shared: true }), project: "target" },
  "apiTokens.list": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  "apiTokens.create": {
    kind: "mutation",
    input: (t) => ({ org: t.slug, name: "Suite token", scopes: ["task.read"], expiresInDays: 30 }),
    foreignIds: "answered",
  },
  "apiTokens.revoke": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.apiTokenId }) },
};

const long = (n: number) => "x".repeat(n);

export const accessBadInputs = (org: string): Record<string, unknown[]> => ({
  "members.me": [{}, { org: 1 }],
  "members.list": [{ org: "" }],
  "members.setRole": [
    { org, userId: "$memberUserId" },
    { org, userId: "$memberUserId", role: "god" },
    { org, userId: "x", role: "member" },
    { org, userId: "$memberUserId", role: "client", clientId: "nope" },
  ],
  "members.remove": [{ org }, { org, userId: "../u" }],
  "members.leave": [{ org: "NOT A SLUG" }],
  "roles.list": [{}],
  "roles.create": [
    { org, name: "", permissions: [] },
    { org, name: "Ok", permissions: ["root.everything"] },
    { org, name: "Owner", permissions: [] },
    { org, name: long(201), permissions: [] },
    { org, name: "Ok", permissions: "task.read" },
  ],
  "roles.update": [
    { org, id: "$roleId", permissions: ["nope"] },
    { org, id: "r1", name: "x" },
    { org, id: "$roleId", description: long(501) },
  ],
  "roles.delete": [{ org }, { org, id: "member" }],
  "invitations.list": [{ org: null }],
  "invitations.create": [
    { org, email: "not-an-email", role: "member" },
    { org, email: "a@b.test", role: "superuser" },
    { org, email: "a@b.test" },
    { org, email: "a@b.test", role: "client", clientId: 5 },
  ],
  "invitations.resend": [{ org }, { org, id: "$clientId" }],
  "invitations.revoke": [{ org, id: 1 }],
  "invitations.preview": [{}, { token: "short" }],
  "invitations.accept": [{}, { token: long(43) + "!" }],
  "invitations.acceptAsNewUser": [
    { token: "x".repeat(43) },
    { token: "x".repeat(43), name: "", password: "p" },
    { token: "bad", name: "N", password: "violet-harbour-tandem-88" },
  ],
  "sharing.get": [{ org }, { org, projectId: "$clientId" }],
  "sharing.add": [
    { org, projectId: "$projectId" },
    { org, projectId: "$projectId", subject: { kind: "team", id: "x" } },
    { org, projectId: "$projectId", subject: { kind: "member", id: "$clientId" } },
    { org, projectId: "$projectId", subject: { kind: "role", id: "emperor" } },
  ],
  "sharing.remove": [
    { org, projectId: "$projectId", subject: {} },
    { org, projectId: "$projectId", subject: { kind: "client", id: "c" } },
  ],
  "sharing.setSharedSpace": [
    { org, projectId: "$projectId" },
    { org, projectId: "$projectId", shared: "yes" },
  ],
  "apiTokens.list": [{ org: "A" }],
  "apiTokens.create": [
    { org, name: "t", scopes: ["task.read"] },
    { org, name: "t", scopes: ["task.read"], expiresInDays: 366 },
    { org, name: "t", scopes: ["task.read"], expiresInDays: 0 },
    { org, name: "t", scopes: ["task.read"], expiresInDays: 1.5 },
    { org, name: "t", scopes: ["root.everything"], expiresInDays: 30 },
    { org, name: "t", scopes: [], expiresInDays: 30 },
    { org, name: "", scopes: ["task.read"], expiresInDays: 30 },
    { org, name: long(101), scopes: ["task.read"], expiresInDays: 30 },
  ],
  "apiTokens.revoke": [{ org }, { org, id: "$clientId" }],
});

/** A custom role, a member who joined by invitation and sees the project through a share, a pending invitation, an API token. */
export async function seedAccess({ instance, owner, target }: Seeding): Promise<void> {
  const org = target.slug;
  const role = await owner.mutate("roles.create", {
    org,
    name: `Reviewer of ${org}`,
    description: "Reads and comments",
    permissions: ["task.read", "comment.read", "comment.create"],
  });
  if (role.status !== 200) throw new Error(`seed role: ${JSON.stringify(role.error)}`);
  target.roleId = role.data.id;
  const member = await inviteMember(instance, owner, org, "member", { name: `Member of ${org}` });
  target.memberUserId = member.userId;
  const shared = await owner.mutate("sharing.add", { org, projectId: target.projectId, subject: { kind: "member", id: member.userId } });
  if (shared.status !== 200) throw new Error(`seed share: ${JSON.stringify(shared.error)}`);
  const pending = await owner.mutate("invitations.create", { org, email: uniqueEmail("pending"), role: "member" });
  if (pending.status !== 200) throw new Error(`seed invitation: ${JSON.stringify(pending.error)}`);
  target.invitationId = pending.data.id;
  const token = await owner.mutate("apiTokens.create", { org, name: `Token of ${org}`, scopes: ["task.read"], expiresInDays: 30 });
  if (token.status !== 200) throw new Error(`seed api token: ${JSON.stringify(token.error)}`);
  target.apiTokenId = token.data.id;
}
