import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportFilePath, exportsIdle } from "../export/jobs";
import { joinOrganisation } from "../access/membership";
import { deleteAccount } from "../privacy/delete-account";
import { compactionsIdle, runCompactions } from "../privacy/compaction";
import { tenantFilePath } from "../../db/tenant/paths";
import { STRONG_PASSWORD, inviteMember, userWithOrg, verifiedUser } from "./support/accounts";
import { ok } from "./support/client";
import { startInstance, type Instance } from "./support/instance";
import { filesUnder, tenantRows } from "./support/tenant-files";

/**
 * Account deletion at its edges (ADR 009, issue 24): names outside ASCII, organisations that only
 * happen to hold the person's address or a namesake, access ending before any file is rewritten,
 * and exports made beforehand. Each block deletes its own person in its own organisations.
 */

let instance: Instance;

/** Files holding any of the strings as UTF-8 bytes, exactly as given. */
function filesWithBytes(...needles: string[]) {
  return filesUnder(instance.dataDir).filter((f) => {
    const bytes = readFileSync(f);
    return needles.some((n) => bytes.includes(Buffer.from(n, "utf8")));
  });
}

const tenantFile = (tenantId: string) => tenantFilePath(instance.dataDir, tenantId);

/** A tenant file and its WAL, as bytes. */
const fileBytes = (tenantId: string) =>
  ["", "-wal"].map((suffix) => (existsSync(tenantFile(tenantId) + suffix) ? readFileSync(tenantFile(tenantId) + suffix) : Buffer.alloc(0)));

const userIdOf = async (email: string) =>
  (await instance.services.control.selectFrom("users").select("id").where("email", "=", email).executeTakeFirstOrThrow()).id;

beforeAll(async () => {
  instance = await startInstance();
});
afterAll(() => instance.stop());

describe("a name with capitals outside ASCII, and what was made before the deletion", () => {
  const NAME = "Émilie Dubois-Łukasiewicz";
  const EMAIL = "emilie.dubois@example.test";
  let owner: Awaited<ReturnType<typeof userWithOrg>>;
  let emilieId: string;
  let pseudonym: string;
  let exportId: string;
  let projectId: string;

  beforeAll(async () => {
    owner = await userWithOrg(instance, "unicode-org");
    const hook = ok(
      await owner.client.mutate("webhooks.create", { org: "unicode-org", url: "http://127.0.0.1:9/hooks", events: ["member.joined"] }),
      "webhook",
    );
    const emilie = await verifiedUser(instance, NAME, EMAIL);
    await inviteMember(instance, owner.client, "unicode-org", "member", { email: EMAIL, existing: emilie.client });
    ok(await owner.client.mutate("webhooks.update", { org: "unicode-org", id: hook.webhook.id, active: false }), "pause");
    await instance.services.webhooks.runOnce();
    emilieId = await userIdOf(EMAIL);
    const client = ok(await owner.client.mutate("clients.create", { org: "unicode-org", name: "Globex" }), "client");
    const project = ok(await owner.client.mutate("projects.create", { org: "unicode-org", clientId: client.id, name: "Web" }), "project");
    projectId = project.id;
    ok(await owner.client.mutate("tasks.create", { org: "unicode-org", projectId: project.id, title: `Call ${NAME} tomorrow` }), "task");
    exportId = ok(await owner.client.mutate("exports.start", { org: "unicode-org" }), "export").id;
    await exportsIdle(instance.services);
    expect(existsSync(exportFilePath(instance.dataDir, exportId))).toBe(true);

    pseudonym = ok(await emilie.client.mutate("account.delete", { password: STRONG_PASSWORD, confirm: EMAIL }), "delete").pseudonym;
  });

  it("keeps another member's task title and the webhook payloads sent as they were, and leaves no byte of the name in its own rows", async () => {
    // What others typed, and what was already sent to a third party, is the organisation's record.
    expect(tenantRows(instance.dataDir, owner.tenantId, "select title from tasks")).toEqual([{ title: `Call ${NAME} tomorrow` }]);
    const payloads = tenantRows<{ payload: string }>(instance.dataDir, owner.tenantId, "select payload from webhook_deliveries");
    expect(payloads.some((p) => p.payload.includes(NAME))).toBe(true);
    expect(tenantRows(instance.dataDir, owner.tenantId, `select name, email from members where user_id = '${emilieId}'`)).toEqual([
      { name: pseudonym, email: `${pseudonym}@deleted.invalid` },
    ]);
    await runCompactions(instance.services);
    const control = filesWithBytes(NAME, NAME.toLowerCase(), NAME.toUpperCase(), "Łukasiewicz", "łukasiewicz", EMAIL).filter((f) =>
      f.includes("control.sqlite"),
    );
    expect(control).toEqual([]);
  });

  it("expires an organisation export made before the deletion: 410, and its file is gone", async () => {
    const row = await instance.services.control
      .selectFrom("org_exports")
      .select("status")
      .where("id", "=", exportId)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe("expired");
    expect(existsSync(exportFilePath(instance.dataDir, exportId))).toBe(false);
    expect((await owner.client.raw("GET", `/api/exports/${exportId}`)).status).toBe(410);
  });

  it("refuses to give the deleted account's member row a role, to remove it, or to share with it, with a reason", async () => {
    const setRole = await owner.client.mutate("members.setRole", { org: "unicode-org", userId: emilieId, role: "member" });
    expect(setRole.status).toBe(409);
    expect(setRole.error?.message).toBe(
      "Cannot change the role: this member deleted their account. Their row stays so their past work keeps a name.",
    );
    const remove = await owner.client.mutate("members.remove", { org: "unicode-org", userId: emilieId });
    expect(remove.status).toBe(409);
    expect(remove.error?.message).toBe(
      "Cannot remove: this member deleted their account. Their row stays so their past work keeps a name.",
    );
    const [row] = tenantRows<{ name: string; role: string }>(
      instance.dataDir,
      owner.tenantId,
      `select name, role from members where user_id = '${emilieId}'`,
    );
    expect(row).toEqual({ name: pseudonym, role: "deleted" });
    const share = await owner.client.mutate("sharing.add", { org: "unicode-org", projectId, subject: { kind: "member", id: emilieId } });
    expect(share.status).toBe(400);
    expect(share.error?.message).toBe("That person deleted their account; there is nobody to share with.");
  });
});

describe("an organisation the person was never linked to", () => {
  const NAME = "John Smith";
  const EMAIL = "john.s@elsewhere.example";
  let bart: Awaited<ReturnType<typeof userWithOrg>>;
  let before: Buffer[];
  const opened: string[] = [];

  beforeAll(async () => {
    bart = await userWithOrg(instance, "bart-co");
    // A different John Smith is bart-co's customer, named on an issued invoice.
    const namesake = ok(
      await bart.client.mutate("clients.create", { org: "bart-co", name: NAME, contactEmail: "client@smith.example" }),
      "client",
    );
    const invoice = ok(
      await bart.client.mutate("invoices.create", {
        org: "bart-co",
        clientId: namesake.id,
        lines: [{ description: `Logo design for ${NAME}`, quantity: 1, unitPrice: 50000 }],
      }),
      "invoice",
    );
    ok(await bart.client.mutate("invoices.issue", { org: "bart-co", id: invoice.id ?? invoice.invoice?.id }), "issue");
    // The person's own address is on file there too: it is bart-co's record of a contact, not the account's.
    ok(await bart.client.mutate("clients.create", { org: "bart-co", name: "Elsewhere Ltd", contactEmail: EMAIL }), "contact");

    const john = await verifiedUser(instance, NAME, EMAIL);
    await instance.services.pool.closeAll();
    before = fileBytes(bart.tenantId);
    const { pool } = instance.services;
    const acquire = pool.acquire.bind(pool);
    pool.acquire = (tenantId: string) => {
      opened.push(tenantId);
      return acquire(tenantId);
    };
    try {
      ok(await john.client.mutate("account.delete", { password: STRONG_PASSWORD, confirm: EMAIL }), "delete");
      await compactionsIdle(instance.services);
    } finally {
      pool.acquire = acquire;
    }
  });

  it("never opens it: its file is byte for byte what it was, its contact and issued invoice included", () => {
    expect(opened).toEqual([]);
    expect(fileBytes(bart.tenantId)).toEqual(before);
    const clients = tenantRows<{ name: string; contact_email: string | null }>(
      instance.dataDir,
      bart.tenantId,
      "select name, contact_email from clients order by name",
    );
    expect(clients).toEqual([
      { name: "Elsewhere Ltd", contact_email: EMAIL },
      { name: NAME, contact_email: "client@smith.example" },
    ]);
    const lines = tenantRows(
      instance.dataDir,
      bart.tenantId,
      "select i.status, l.description from invoice_lines l join invoices i on i.id = l.invoice_id",
    );
    expect(lines).toEqual([{ status: "issued", description: `Logo design for ${NAME}` }]);
  });
});

describe("access ends before any organisation file is rewritten", () => {
  const NAME = "Zed Zedson";
  const EMAIL = "zed.zedson@example.test";
  type Seen = { tenantId: string; sessions: number; tokens: number; oldSession: number };
  const seen: Seen[] = [];
  let alpha: Awaited<ReturnType<typeof userWithOrg>>;
  let beta: Awaited<ReturnType<typeof userWithOrg>>;
  let gamma: Awaited<ReturnType<typeof userWithOrg>>;
  let zedId: string;
  let pseudonym: string;

  beforeAll(async () => {
    alpha = await userWithOrg(instance, "alpha-org");
    beta = await userWithOrg(instance, "beta-org");
    gamma = await userWithOrg(instance, "gamma-org");
    const zed = await verifiedUser(instance, NAME, EMAIL);
    await inviteMember(instance, alpha.client, "alpha-org", "admin", { email: EMAIL, existing: zed.client });
    await inviteMember(instance, beta.client, "beta-org", "admin", { email: EMAIL, existing: zed.client });
    ok(
      await zed.client.mutate("apiTokens.create", { org: "alpha-org", name: "script", scopes: ["client.read"], expiresInDays: 30 }),
      "token",
    );
    zedId = await userIdOf(EMAIL);

    // Every time the deletion opens an organisation file: what the control DB still lets in, and
    // what the old session cookie gets. Once access has ended, a request already past the door
    // joins gamma-org (as an invitation accepted a moment earlier would), which the deletion must
    // still catch.
    const { pool, control } = instance.services;
    const acquire = pool.acquire.bind(pool);
    let inside = false;
    let joined = false;
    pool.acquire = async (tenantId: string) => {
      if (!inside) {
        inside = true;
        try {
          const sessions = (await control.selectFrom("sessions").select("id").where("user_id", "=", zedId).execute()).length;
          const tokens = (await control.selectFrom("api_tokens").select("id").where("user_id", "=", zedId).execute()).length;
          const oldSession = (await zed.client.query("account.sessions")).status;
          seen.push({ tenantId, sessions, tokens, oldSession });
          if (sessions === 0 && !joined) {
            joined = true;
            const actor = { kind: "system" as const, id: "system", ip: "127.0.0.1", userAgent: null };
            await joinOrganisation(
              instance.services,
              gamma.tenantId,
              { userId: zedId, role: "member", name: NAME, email: EMAIL, clientId: null },
              actor,
              {},
            );
          }
        } finally {
          inside = false;
        }
      }
      return acquire(tenantId);
    };
    try {
      pseudonym = (await deleteAccount(instance.services, zedId, { ip: "127.0.0.1", userAgent: null })).pseudonym!;
    } finally {
      pool.acquire = acquire;
    }
  });

  it("has ended sessions and tokens, and refuses the old cookie, when each file is erased", () => {
    // The last opening of each file is its erasure (earlier ones check the last-owner rule).
    const last = new Map(seen.map((s) => [s.tenantId, s]));
    expect(last.get(alpha.tenantId)).toEqual({ tenantId: alpha.tenantId, sessions: 0, tokens: 0, oldSession: 401 });
    expect(last.get(beta.tenantId)).toEqual({ tenantId: beta.tenantId, sessions: 0, tokens: 0, oldSession: 401 });
  });

  it("also erases an organisation they were linked to while the deletion ran", async () => {
    expect(tenantRows(instance.dataDir, gamma.tenantId, `select name, email, role from members where user_id = '${zedId}'`)).toEqual([
      { name: pseudonym, email: `${pseudonym}@deleted.invalid`, role: "deleted" },
    ]);
    await runCompactions(instance.services);
    // Their name was only ever in their own member rows; their address stays only in the audit
    // details of the invitations alpha and beta sent (the organisations' record of what they did).
    expect(filesWithBytes(NAME)).toEqual([]);
    expect(filesWithBytes(EMAIL).sort()).toEqual([tenantFile(alpha.tenantId), tenantFile(beta.tenantId)].sort());
    const memberships = await instance.services.control
      .selectFrom("memberships")
      .select("tenant_id")
      .where("user_id", "=", zedId)
      .execute();
    expect(memberships).toEqual([]);
  });

  it("undoes a join that lands after the deletion committed, and erases what it wrote", async () => {
    const delta = await userWithOrg(instance, "delta-org");
    const actor = { kind: "system" as const, id: "system", ip: "127.0.0.1", userAgent: null };
    // The other order of the race: the deletion is done, then a join already past its checks writes.
    await expect(
      joinOrganisation(
        instance.services,
        delta.tenantId,
        { userId: zedId, role: "member", name: NAME, email: EMAIL, clientId: null },
        actor,
        {},
      ),
    ).rejects.toThrow("This account has been deleted.");
    expect(await instance.services.control.selectFrom("memberships").select("tenant_id").where("user_id", "=", zedId).execute()).toEqual(
      [],
    );
    expect(tenantRows(instance.dataDir, delta.tenantId, `select name, role from members where user_id = '${zedId}'`)).toEqual([
      { name: pseudonym, role: "deleted" },
    ]);
    // The join's own request queued the file it wrote for compaction, and started it.
    await compactionsIdle(instance.services);
    expect(filesWithBytes(NAME)).toEqual([]);
  });
});

describe("a running timer when the account goes", () => {
  it("is kept up to now when it has run, and dropped (never a failed deletion) when it is younger than a second", async () => {
    const owner = await userWithOrg(instance, "timer-org");
    const client = ok(await owner.client.mutate("clients.create", { org: "timer-org", name: "Initech" }), "client");
    const project = ok(await owner.client.mutate("projects.create", { org: "timer-org", clientId: client.id, name: "Web" }), "project");
    const entriesOf = (userId: string) =>
      tenantRows<{ duration_seconds: number; ended_at: number | null }>(
        instance.dataDir,
        owner.tenantId,
        `select duration_seconds, ended_at from time_entries where member_id = '${userId}'`,
      );
    const member = async (email: string) => {
      const person = await verifiedUser(instance, "Timer Person", email);
      await inviteMember(instance, owner.client, "timer-org", "manager", { email, existing: person.client });
      ok(await person.client.mutate("time.start", { org: "timer-org", projectId: project.id, note: "on the clock" }), "start");
      return { ...person, id: await userIdOf(email) };
    };

    const fresh = await member("fresh-timer@example.test");
    expect(entriesOf(fresh.id)).toHaveLength(1);
    ok(await fresh.client.mutate("account.delete", { password: STRONG_PASSWORD, confirm: "fresh-timer@example.test" }), "delete fresh");
    expect(entriesOf(fresh.id)).toEqual([]);

    const busy = await member("busy-timer@example.test");
    instance.clock.advance(90_000);
    ok(await busy.client.mutate("account.delete", { password: STRONG_PASSWORD, confirm: "busy-timer@example.test" }), "delete busy");
    const [kept] = entriesOf(busy.id);
    expect(kept?.duration_seconds).toBe(90);
    expect(kept?.ended_at).not.toBeNull();
  });
});
