import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateFile } from "../migrate";
import { tenantMigrations } from "./migrations";
import { UNOWNED_REASON } from "./migrations/0014_webhook_owners";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "opslayer-0014-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const before = Object.fromEntries(Object.entries(tenantMigrations).filter(([name]) => name < "0014"));

describe("migration 0014: webhook owners", () => {
  it("owns a webhook by its creator per the audit log when still a member; pauses the rest with a reason; keeps deliveries", async () => {
    const file = join(dir, "t.sqlite");
    new Database(file).close();
    await migrateFile(file, "FULL", before, "t");
    const raw = new Database(file);
    const hook = raw.prepare(
      "insert into webhooks (id, url, events, secret, active, created_at, updated_at) values (?, ?, '[]', x'00', 1, 1, 1)",
    );
    hook.run("h-kept", "https://a.example/1");
    hook.run("h-left", "https://a.example/2");
    hook.run("h-none", "https://a.example/3");
    hook.run("h-support", "https://a.example/4");
    raw
      .prepare("insert into members (user_id, role, name, email, joined_at) values ('u-kept', 'admin', 'Kept', 'k@example.test', 1)")
      .run();
    const created = raw.prepare(
      "insert into audit_log (at, actor_kind, actor_id, action, target_type, target_id) values (1, ?, ?, 'webhook.create', 'webhook', ?)",
    );
    created.run("user", "u-kept", "h-kept");
    created.run("user", "u-gone", "h-left");
    created.run("support", "staff-1", "h-support");
    raw
      .prepare(
        "insert into webhook_deliveries (id, webhook_id, event, payload, status, attempts, created_at) values ('d1', 'h-kept', 'task.created', '{}', 'failed', 6, 1)",
      )
      .run();
    raw.close();

    expect(await migrateFile(file, "FULL", tenantMigrations, "t")).toEqual(Object.keys(tenantMigrations).filter((name) => name >= "0014"));
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare("select id, owner_id, active, paused_reason from webhooks order by id").all()).toEqual([
        { id: "h-kept", owner_id: "u-kept", active: 1, paused_reason: null },
        { id: "h-left", owner_id: null, active: 0, paused_reason: UNOWNED_REASON },
        { id: "h-none", owner_id: null, active: 0, paused_reason: UNOWNED_REASON },
        { id: "h-support", owner_id: null, active: 0, paused_reason: UNOWNED_REASON },
      ]);
      expect(db.prepare("select id, status, attempts from webhook_deliveries").all()).toEqual([
        { id: "d1", status: "failed", attempts: 6 },
      ]);
      expect(
        db
          .prepare(
            "select name from sqlite_master where tbl_name = 'webhook_deliveries' and type = 'index' and name not like 'sqlite_%' order by name",
          )
          .pluck()
          .all(),
      ).toEqual(["webhook_deliveries_due", "webhook_deliveries_log"]);
    } finally {
      db.close();
    }
    // The rebuilt table takes the new status and still refuses unknown ones.
    const rw = new Database(file);
    try {
      rw.prepare("update webhook_deliveries set status = 'skipped' where id = 'd1'").run();
      expect(() => rw.prepare("update webhook_deliveries set status = 'lost' where id = 'd1'").run()).toThrow(/CHECK/);
    } finally {
      rw.close();
    }
  });
});
