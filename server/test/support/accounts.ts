import { Client } from "./client";
import type { Instance } from "./instance";

export const STRONG_PASSWORD = "violet-harbour-tandem-88";
let seq = 0;

export function uniqueEmail(tag = "user") {
  return `${tag}.${process.pid}.${++seq}@example.test`;
}

/** Signs up over HTTP and follows the emailed confirmation link, as a person would. */
export async function verifiedUser(instance: Instance, name = "Test User", email = uniqueEmail()) {
  const client = new Client(instance.url);
  const signup = await client.mutate("auth.signup", { name, email, password: STRONG_PASSWORD });
  if (signup.status !== 200) throw new Error(`signup failed: ${JSON.stringify(signup.error)}`);
  const token = new URL(instance.smtp.linkFor(email, "/verify")).searchParams.get("token");
  const verify = await client.mutate("auth.verifyEmail", { token });
  if (verify.status !== 200) throw new Error(`verify failed: ${JSON.stringify(verify.error)}`);
  return { client, email, name };
}

export async function userWithOrg(instance: Instance, slug: string) {
  const user = await verifiedUser(instance, `Owner of ${slug}`);
  const org = await user.client.mutate("orgs.create", { name: `Org ${slug}`, slug });
  if (org.status !== 200) throw new Error(`org create failed: ${JSON.stringify(org.error)}`);
  const tenant = await instance.services.control.selectFrom("tenants").selectAll().where("slug", "=", slug).executeTakeFirstOrThrow();
  return { ...user, slug, tenantId: tenant.id };
}

/**
 * A membership written straight into both files, for tests about something else; the invitation
 * flow (inviteMember) is the real way in and is what the access tests use.
 */
export async function addMember(instance: Instance, tenantId: string, email: string, role: string) {
  const { control, pool } = instance.services;
  const user = await control.selectFrom("users").selectAll().where("email", "=", email).executeTakeFirstOrThrow();
  await control.insertInto("memberships").values({ user_id: user.id, tenant_id: tenantId, created_at: Date.now() }).execute();
  const lease = await pool.acquire(tenantId);
  try {
    await lease.db
      .insertInto("members")
      .values({ user_id: user.id, role, name: user.name, email: user.email, joined_at: Date.now() })
      .execute();
  } finally {
    lease.release();
  }
  return user;
}

/**
 * Invites `email` through the API and accepts through the emailed link: as a new account (signing up
 * on the invitation page) unless `existing` is the already-signed-in invitee's client.
 */
export async function inviteMember(
  instance: Instance,
  inviter: Client,
  slug: string,
  role: string,
  opts: { email?: string; name?: string; clientId?: string; existing?: Client } = {},
) {
  const email = opts.email ?? uniqueEmail("invited");
  const invited = await inviter.mutate("invitations.create", { org: slug, email, role, clientId: opts.clientId });
  if (invited.status !== 200) throw new Error(`invite failed: ${JSON.stringify(invited.error)}`);
  const token = new URL(instance.smtp.linkFor(email, "/invite")).searchParams.get("token")!;
  const client = opts.existing ?? new Client(instance.url);
  const accepted = opts.existing
    ? await client.mutate("invitations.accept", { token })
    : await client.mutate("invitations.acceptAsNewUser", { token, name: opts.name ?? "Invited Person", password: STRONG_PASSWORD });
  if (accepted.status !== 200) throw new Error(`accept failed: ${JSON.stringify(accepted.error)}`);
  const user = await instance.services.control.selectFrom("users").select(["id"]).where("email", "=", email).executeTakeFirstOrThrow();
  return { client, email, userId: user.id, invitationId: invited.data.id as string };
}
