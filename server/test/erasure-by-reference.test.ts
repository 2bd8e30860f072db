import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compactionsIdle } from "../privacy/compaction";
import { STRONG_PASSWORD, inviteMember, userWithOrg, verifiedUser } from "./support/accounts";
import { Client, ok } from "./support/client";
import { startInstance, type Instance } from "./support/instance";
import {
  beyondErasure,
  diffSnapshots,
  tableChecksums,
  tenantFileBytes,
  tenantSnapshot,
  tenantsOpenedBy as openedBy,
} from "./support/tenant-diff";

/**
 * The two reproductions of issue 24, over HTTP as an outsider would: an account deletion changes
 * only the deleted account's own footprint, found by id, and nothing in an organisation it never
 * joined; issued invoices stay as issued.
 */

let instance: Instance;
/** Every tenant id the server opened while `during` ran, the compaction the deletion queued included. */
const tenantsOpenedBy = (during: () => Promise<void>) =>
  openedBy(instance, async () => {
    await during();
    // The compaction the deletion queued runs after the answer; it must keep away from them too.
    await compactionsIdle(instance.services);
  });

beforeAll(async () => {
  instance = await startInstance();
});
afterAll(() => instance.stop());

describe("an outsider whose address is a substring of a victim organisation's client contact", () => {
  const CONTACT = "info@victimcorp.example";
  let victim: Awaited<ReturnType<typeof userWithOrg>>;

  beforeAll(async () => {
    victim = await userWithOrg(instance, "victimcorp");
    const org = "victimcorp";
    const client = ok(
      await victim.client.mutate("clients.create", { org, name: "VictimCorp", contactEmail: CONTACT, notes: `Write to ${CONTACT} first.` }),
      "client",
    );
    const project = ok(await victim.client.mutate("projects.create", { org, clientId: client.id, name: "Support" }), "project");
    ok(
      await victim.client.mutate("tasks.create", {
        org,
        projectId: project.id,
        title: "Onboarding",
        description: `CC ${CONTACT} on every reply`,
      }),
      "task",
    );
    const invoice = ok(
      await victim.client.mutate("invoices.create", {
        org,
        clientId: client.id,
        notes: `Send to ${CONTACT}`,
        lines: [{ description: `Support for ${CONTACT}`, quantity: 1, unitPrice: 12000 }],
      }),
      "invoice",
    );
    ok(await victim.client.mutate("invoices.issue", { org, id: invoice.id ?? invoice.invoice?.id }), "issue");
  });

  for (const [label, address, confirmed] of [
    ["never confirmed its address (the issue's sign-up)", "o@victimcorp.example", false],
    ["confirmed its address", "fo@victimcorp.example", true],
  ] as const) {
    it(`deletes an account that ${label} without opening the victim's file: byte for byte, table by table unchanged`, async () => {
      await instance.services.pool.closeAll();
      const bytes = tenantFileBytes(instance.dataDir, victim.tenantId);
      const checksums = tableChecksums(instance.dataDir, victim.tenantId);
      const stranger = confirmed ? (await verifiedUser(instance, "Stranger", address)).client : new Client(instance.url);
      if (!confirmed) ok(await stranger.mutate("auth.signup", { name: "Stranger", email: address, password: STRONG_PASSWORD }), "signup");
      const strangerId = (
        await instance.services.control.selectFrom("users").select("id").where("email", "=", address).executeTakeFirstOrThrow()
      ).id;
      let deleted: { pseudonym: string | null } | undefined;
      const opened = await tenantsOpenedBy(async () => {
        deleted = ok(await stranger.mutate("account.delete", { password: STRONG_PASSWORD, confirm: address }), "delete");
      });
      expect(opened.has(victim.tenantId)).toBe(false);
      expect(tenantFileBytes(instance.dataDir, victim.tenantId)).toEqual(bytes);
      expect(tableChecksums(instance.dataDir, victim.tenantId)).toEqual(checksums);
      // The account itself is gone: removed outright when it never confirmed, a pseudonym otherwise.
      const row = await instance.services.control
        .selectFrom("users")
        .select(["email", "pseudonym"])
        .where("email", "=", address)
        .executeTakeFirst();
      expect(row).toBeUndefined();
      if (confirmed) expect(deleted?.pseudonym).toMatch(/^deleted-user-/);
      else expect(deleted?.pseudonym).toBeNull();
      const sessions = await instance.services.control.selectFrom("sessions").select("id").where("user_id", "=", strangerId).execute();
      expect(sessions).toEqual([]);
    });
  }
});

describe("a member whose display name equals a client's name", () => {
  const NAME = "Acme Holdings";
  let owner: Awaited<ReturnType<typeof userWithOrg>>;
  let memberId: string;
  let before: ReturnType<typeof tenantSnapshot>;
  let checksumsBefore: Record<string, string>;

  beforeAll(async () => {
    owner = await userWithOrg(instance, "acme-b");
    const org = "acme-b";
    const client = ok(
      await owner.client.mutate("clients.create", {
        org,
        name: NAME,
        contactEmail: "ap@acme-holdings.example",
        notes: `${NAME} pays in 30 days`,
      }),
      "client",
    );
    const project = ok(await owner.client.mutate("projects.create", { org, clientId: client.id, name: "Retainer" }), "project");
    ok(await owner.client.mutate("sharing.setSharedSpace", { org, projectId: project.id, shared: true }), "shared");
    const member = await inviteMember(instance, owner.client, org, "admin", { name: NAME });
    memberId = member.userId;
    const task = ok(
      await member.client.mutate("tasks.create", {
        org,
        projectId: project.id,
        title: `Quarterly review with ${NAME}`,
        description: `${NAME} wants the report`,
        assigneeIds: [memberId],
      }),
      "task",
    );
    ok(await member.client.mutate("comments.create", { org, taskId: task.id, body: `Spoke to ${NAME}` }), "comment");
    ok(await owner.client.mutate("comments.create", { org, taskId: task.id, body: `Thanks, ${NAME}` }), "owner comment");
    const now = instance.clock.now();
    ok(
      await member.client.mutate("time.create", {
        org,
        projectId: project.id,
        startedAt: now - 7_200_000,
        endedAt: now - 3_600_000,
        note: NAME,
      }),
      "time",
    );
    ok(await member.client.mutate("time.start", { org, projectId: project.id, note: "still going" }), "timer");
    // A minute on the timer: one younger than a second is dropped at erasure, not kept (ADR 016).
    instance.clock.advance(60_000);
    const invoice = ok(
      await owner.client.mutate("invoices.create", {
        org,
        clientId: client.id,
        notes: `For ${NAME}`,
        lines: [{ description: `${NAME} retainer`, quantity: 1, unitPrice: 90000 }],
      }),
      "invoice",
    );
    ok(await owner.client.mutate("invoices.issue", { org, id: invoice.id ?? invoice.invoice?.id }), "issue");

    await instance.services.pool.closeAll();
    before = tenantSnapshot(instance.dataDir, owner.tenantId);
    checksumsBefore = tableChecksums(instance.dataDir, owner.tenantId);
    ok(await member.client.mutate("account.delete", { password: STRONG_PASSWORD, confirm: member.email }), "delete");
    await compactionsIdle(instance.services);
  });

  it("changes only the listed actor fields, row by row", () => {
    const diff = diffSnapshots(before, tenantSnapshot(instance.dataDir, owner.tenantId));
    expect(beyondErasure(diff, memberId)).toEqual([]);
    // And it did erase: the member row, the assignment, the running timer, the audit IPs.
    expect([...diff.updated].sort()).toEqual(
      expect.arrayContaining([
        "members.name",
        "members.email",
        "members.role",
        "audit_log.ip",
        "audit_log.user_agent",
        "time_entries.ended_at",
      ]),
    );
    expect(diff.deleted.get("task_assignees")).toHaveLength(1);
  });

  it("keeps the client, what people typed and the issued invoice exactly as they were", () => {
    const after = tableChecksums(instance.dataDir, owner.tenantId);
    for (const table of ["clients", "projects", "tasks", "comments", "invoices", "invoice_lines", "payments", "webhook_deliveries"]) {
      expect(after[table], table).toBe(checksumsBefore[table]);
    }
  });
});
