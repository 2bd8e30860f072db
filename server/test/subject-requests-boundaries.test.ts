import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { userWithOrg } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import { tenantRows } from "./support/tenant-files";

/**
 * A data subject request for `o@victimcorp.example` in a cell that also holds other people's
 * addresses ending in it after a character an address's local part may contain (RFC 5322 atext:
 * `info!o@…`, `pager#o@…`). Redaction rewrites every match in a chosen cell, and the reviewer sees
 * only the first one's excerpt: such an address must not count as a match, or redacting the
 * person's address also rewrites the others'.
 */

const org = "dsr-bounds";
const SUBJECT = "o@victimcorp.example";
const OTHERS = ["info!o@victimcorp.example", "pager#o@victimcorp.example", "ops&o@victimcorp.example", "team~o@victimcorp.example"];
const NOTES = `Reach ${SUBJECT} first. Others: ${OTHERS.join(", ")}.`;

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
let clientId: string;

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, org);
  const res = await owner.client.mutate("clients.create", { org, name: "Victim Corp", notes: NOTES });
  expect(res.status).toBe(200);
  clientId = (res.data as { id: string }).id;
}, 60_000);
afterAll(() => instance.stop());

describe("a data subject request's address bounded by another address's characters", () => {
  it("counts and redacts only the subject's own address, leaving the longer addresses in the same cell", async () => {
    const found = await owner.client.query("subjectRequests.search", { org, kind: "email", term: SUBJECT });
    expect(found.status).toBe(200);
    const matches = (found.data as { matches: { table: string; field: string; rowId: string; fingerprint: string; occurrences: number }[] })
      .matches;
    const notes = matches.find((m) => m.table === "clients" && m.field === "notes" && m.rowId === clientId);
    expect(notes?.occurrences).toBe(1);
    for (const other of OTHERS) {
      const alone = await owner.client.query("subjectRequests.search", { org, kind: "email", term: other });
      expect((alone.data as { matches: unknown[] }).matches.length).toBeGreaterThan(0);
    }

    const res = await owner.client.mutate("subjectRequests.redact", {
      org,
      kind: "email",
      term: SUBJECT,
      selections: [{ table: "clients", field: "notes", rowId: clientId, fingerprint: notes!.fingerprint }],
    });
    expect(res.status).toBe(200);
    const [row] = tenantRows<{ notes: string }>(instance.dataDir, owner.tenantId, `select notes from clients where id = '${clientId}'`);
    expect(row!.notes).toBe(`Reach [redacted] first. Others: ${OTHERS.join(", ")}.`);
  });
});
