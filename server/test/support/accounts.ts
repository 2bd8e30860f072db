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
 * Until invitations exist: a membership written in both files, control first, as the invitation
 * flow will write it. Returns the user row.
 */
export async function addMember(instance: Instance, tenantId: string, email: string, role: string) {
  const { control, pool } = instance.services;
  const user = await control.selectFrom("users").selectAll().where("email", "=", email).executeTakeFirstOrThrow();
  await control.insertInto("memberships").values({ user_id: user.id, tenant_id: tenantId, created_at: Date.now() }).execute();
  const lease = await pool.acquire(tenantId);
  try {
    await lease.db.insertInto("members").values({ user_id: user.id, role, name: user.name, email: user.email, joined_at: Date.now() }).execute();
  } finally {
    lease.release();
  }
  return user;
}
