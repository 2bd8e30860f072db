import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compactionsIdle } from "../privacy/compaction";
import { STRONG_PASSWORD, uniqueEmail, userWithOrg } from "./support/accounts";
import { Client, ok } from "./support/client";
import { startInstance, type Instance } from "./support/instance";

/**
 * Issue 24 item 2: a sign-up whose address is not confirmed reaches no organisation, so it owns
 * nothing there, and deleting it touches no organisation file.
 */

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
const opened: string[] = [];

async function signUp(email = uniqueEmail("unconfirmed")) {
  const client = new Client(instance.url);
  ok(await client.mutate("auth.signup", { name: "Not Yet", email, password: STRONG_PASSWORD }), "signup");
  const { id } = await instance.services.control.selectFrom("users").select("id").where("email", "=", email).executeTakeFirstOrThrow();
  return { client, email, id };
}

const tenantFiles = () => readdirSync(join(instance.dataDir, "tenants")).sort();

/** Memberships held by accounts whose address is not confirmed: the invariant is that there are none. */
const unconfirmedMemberships = () =>
  instance.services.control
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select("users.email")
    .where("users.email_verified_at", "is", null)
    .execute();

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, "confirmed-org");
  const { pool } = instance.services;
  const acquire = pool.acquire.bind(pool);
  pool.acquire = (tenantId: string) => {
    opened.push(tenantId);
    return acquire(tenantId);
  };
});
afterAll(() => instance.stop());

describe("an account whose address is not confirmed", () => {
  it("cannot create an organisation: a readable 403, and no file is made", async () => {
    const { client } = await signUp();
    const files = tenantFiles();
    const res = await client.mutate("orgs.create", { name: "Sneaky", slug: "sneaky" });
    expect(res.status).toBe(403);
    expect(res.error?.message).toBe("Confirm your email address before creating an organisation.");
    expect(tenantFiles()).toEqual(files);
  });

  it("cannot open an organisation or make a token for one, and the door opens no file for it", async () => {
    const { client } = await signUp();
    opened.length = 0;
    const list = await client.query("clients.list", { org: "confirmed-org" });
    expect(list.status).toBe(403);
    expect(list.error?.message).toBe("Confirm your email address before opening an organisation.");
    const token = await client.mutate("apiTokens.create", { org: "confirmed-org", name: "x", scopes: ["client.read"], expiresInDays: 30 });
    expect(token.status).toBe(403);
    expect(opened).toEqual([]);
  });

  it("cannot accept an invitation sent to another address", async () => {
    const invited = uniqueEmail("invited");
    ok(await owner.client.mutate("invitations.create", { org: "confirmed-org", email: invited, role: "member" }), "invite");
    const token = new URL(instance.smtp.linkFor(invited, "/invite")).searchParams.get("token")!;
    const { client, id } = await signUp();
    const res = await client.mutate("invitations.accept", { token });
    expect(res.status).toBe(403);
    expect(res.error?.message).toBe(`This invitation is for ${invited}. Log in with that address to accept it.`);
    expect(await instance.services.control.selectFrom("memberships").select("tenant_id").where("user_id", "=", id).execute()).toEqual([]);
  });

  it("joins through an invitation to its own address only as a confirmed account: the emailed token confirms it first", async () => {
    const { client, email, id } = await signUp();
    ok(await owner.client.mutate("invitations.create", { org: "confirmed-org", email, role: "member" }), "invite");
    const token = new URL(instance.smtp.linkFor(email, "/invite")).searchParams.get("token")!;
    ok(await client.mutate("invitations.accept", { token }), "accept");
    const user = await instance.services.control
      .selectFrom("users")
      .select("email_verified_at")
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(user.email_verified_at).not.toBeNull();
    expect((await client.query("clients.list", { org: "confirmed-org" })).status).toBe(200);
    expect(await unconfirmedMemberships()).toEqual([]);
  });

  it("is removed outright when deleted: no organisation opened, and invitations to its unproven address are not its to cancel", async () => {
    const { client, email, id } = await signUp(uniqueEmail("squatter"));
    ok(await owner.client.mutate("invitations.create", { org: "confirmed-org", email, role: "member" }), "invite");
    await instance.services.pool.closeAll();
    opened.length = 0;
    const res = ok(await client.mutate("account.delete", { password: STRONG_PASSWORD, confirm: email }), "delete");
    await compactionsIdle(instance.services);
    expect(res).toEqual({ pseudonym: null });
    expect(opened).toEqual([]);
    const { control } = instance.services;
    expect(await control.selectFrom("users").select("id").where("id", "=", id).execute()).toEqual([]);
    expect(await control.selectFrom("invitations").select("email").where("email", "=", email).execute()).toEqual([{ email }]);
    const events = await control.selectFrom("security_log").select(["event", "email", "ip", "detail"]).where("user_id", "=", id).execute();
    expect(events.every((e) => e.email === null && e.ip === null)).toBe(true);
    expect(events.filter((e) => e.event === "account.deleted").map((e) => JSON.parse(e.detail))).toEqual([
      { removed: "unconfirmed", by: "self" },
    ]);
    expect(await unconfirmedMemberships()).toEqual([]);
  });
});
