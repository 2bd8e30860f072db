import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kysely, SqliteDialect } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { openSqlite } from "../../db/sqlite";
import { tenantFilePath } from "../../db/tenant/paths";
import { provisionTenantFile } from "../../db/tenant/provision";
import type { TenantDB } from "../../db/tenant/schema";
import { eraseMember } from "./erase-member";

/**
 * Account deletion erases a member inside the HTTP request (issue 24 item 7: no full-file scan
 * there). Every statement eraseMember runs must find its rows through an index (members aside): a table scan of the
 * audit log, the largest table of a busy organisation, held the event loop for ~340 ms per 500,000
 * rows, once per organisation the person belonged to.
 */
const dir = mkdtempSync(join(tmpdir(), "erase-plan-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("eraseMember's statements", () => {
  it("all search an index; none scans a table", async () => {
    const tenantId = "t" + "a".repeat(24);
    const person = "u" + "b".repeat(24);
    await provisionTenantFile(dir, tenantId, "NORMAL", async (seed) => {
      // A member who is not the last owner, so every statement of the erasure runs.
      await seed
        .insertInto("members")
        .values([
          { user_id: "u" + "c".repeat(24), role: "owner", name: "Owner", email: "owner@example.test", joined_at: 1 },
          { user_id: person, role: "member", name: "Pat", email: "pat@example.test", joined_at: 1 },
        ])
        .execute();
    });
    const raw = openSqlite(tenantFilePath(dir, tenantId), { synchronous: "NORMAL" });
    const ran: { sql: string; parameters: readonly unknown[] }[] = [];
    const db = new Kysely<TenantDB>({
      dialect: new SqliteDialect({ database: raw }),
      log: (event) => {
        if (event.level === "query") ran.push({ sql: event.query.sql, parameters: event.query.parameters });
      },
    });
    try {
      await db.transaction().execute((trx) => eraseMember(trx, { name: "Org", slug: "org" }, person, "deleted-user-0001", 1));
      const writes = ran.filter((q) => /^\s*(update|delete)/i.test(q.sql));
      expect(writes.length).toBeGreaterThanOrEqual(5);
      const scans = ran.flatMap((q) =>
        (raw.prepare(`explain query plan ${q.sql}`).all(...(q.parameters as unknown[])) as { detail: string }[])
          // The members table is as long as the organisation's headcount: reading it whole is cheap.
          .filter((r) => /^SCAN /.test(r.detail) && !/^SCAN members\b/.test(r.detail))
          .map((r) => `${r.detail} in: ${q.sql}`),
      );
      expect(scans).toEqual([]);
    } finally {
      await db.destroy();
    }
  });
});
