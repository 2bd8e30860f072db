import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newId } from "../../server/auth/tokens";
import { TenantPool } from "../pool";
import { NoTenantError, currentTenant, inTenantTransaction, runInTenant, tenantDb } from "./context";
import { listClients } from "./clients";
import { FULL_ACCESS } from "./visibility";
import { InvalidTenantIdError, tenantFilePath } from "./paths";
import { deleteTenantFile, provisionTenantFile } from "./provision";

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "opslayer-pool-"));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

async function makeTenant() {
  const id = newId("t");
  await provisionTenantFile(dataDir, id, "FULL", async () => {});
  return id;
}

/** File descriptors this process holds on a path: the proof that a handle was really closed. */
function openDescriptors(path: string) {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(path);
    } catch {
      return false;
    }
  }).length;
}

describe("tenant pool", () => {
  it("sets every pragma explicitly on open", async () => {
    const id = await makeTenant();
    for (const [sync, expected] of [
      ["FULL", 2],
      ["NORMAL", 1],
    ] as const) {
      const pool = new TenantPool({ dataDir, size: 4, synchronous: sync });
      const lease = await pool.acquire(id);
      const pragma = async (name: string) => (await sql.raw(`pragma ${name}`).execute(lease.db)).rows[0];
      expect(await pragma("journal_mode")).toEqual({ journal_mode: "wal" });
      expect(await pragma("synchronous")).toEqual({ synchronous: expected });
      expect(await pragma("foreign_keys")).toEqual({ foreign_keys: 1 });
      expect(await pragma("busy_timeout")).toEqual({ timeout: 5000 });
      lease.release();
      await pool.closeAll();
    }
  });

  it("closes the least recently used handle when full, and its file descriptors with it", async () => {
    const [a, b, c] = [await makeTenant(), await makeTenant(), await makeTenant()];
    const pool = new TenantPool({ dataDir, size: 2, synchronous: "FULL" });
    (await pool.acquire(a)).release();
    (await pool.acquire(b)).release();
    expect(openDescriptors(tenantFilePath(dataDir, a))).toBeGreaterThan(0);
    (await pool.acquire(a)).release(); // a is now the most recent
    (await pool.acquire(c)).release();
    expect(pool.isOpen(a)).toBe(true);
    expect(pool.isOpen(b)).toBe(false);
    expect(pool.isOpen(c)).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(openDescriptors(tenantFilePath(dataDir, b))).toBe(0);
    await pool.closeAll();
    expect(openDescriptors(tenantFilePath(dataDir, a))).toBe(0);
  });

  it("does not close a handle that a request still holds", async () => {
    const [a, b] = [await makeTenant(), await makeTenant()];
    const pool = new TenantPool({ dataDir, size: 1, synchronous: "FULL" });
    const held = await pool.acquire(a);
    (await pool.acquire(b)).release();
    const rows = await held.db.selectFrom("clients").selectAll().execute();
    expect(rows).toEqual([]);
    held.release();
    await pool.closeAll();
  });

  it("opens a file once for concurrent requests", async () => {
    const id = await makeTenant();
    const pool = new TenantPool({ dataDir, size: 4, synchronous: "FULL" });
    const leases = await Promise.all([pool.acquire(id), pool.acquire(id), pool.acquire(id)]);
    expect(pool.opens).toBe(1);
    expect(new Set(leases.map((l) => l.db)).size).toBe(1);
    leases.forEach((l) => l.release());
    await pool.closeAll();
  });

  it("refuses to open a tenant file that was never provisioned, creating nothing", async () => {
    const pool = new TenantPool({ dataDir, size: 4, synchronous: "FULL" });
    const id = newId("t");
    await expect(pool.acquire(id)).rejects.toThrow();
    expect(existsSync(tenantFilePath(dataDir, id))).toBe(false);
  });

  it("applies pending migrations when it opens an older file", async () => {
    const id = await makeTenant();
    const pool = new TenantPool({ dataDir, size: 4, synchronous: "FULL" });
    let lease = await pool.acquire(id);
    // Back to an empty file that only remembers no migration: every table goes.
    await sql`pragma foreign_keys = off`.execute(lease.db);
    const all = await sql<{
      name: string;
    }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%'`.execute(lease.db);
    for (const { name } of all.rows) await sql`drop table ${sql.table(name)}`.execute(lease.db);
    await sql`delete from kysely_migration`.execute(lease.db);
    await sql`pragma foreign_keys = on`.execute(lease.db);
    lease.release();
    await pool.close(id);
    lease = await pool.acquire(id);
    const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name = 'projects'`.execute(lease.db);
    expect(tables.rows).toHaveLength(1);
    lease.release();
    await pool.closeAll();
  });
});

describe("tenant ids and paths", () => {
  it.each(["../control", "t/../../etc", "T" + "a".repeat(24), "", "t" + "a".repeat(23), "t" + "a".repeat(24) + ".sqlite"])(
    "refuses %j before it touches a path",
    (id) => {
      expect(() => tenantFilePath(dataDir, id)).toThrow(InvalidTenantIdError);
    },
  );
});

describe("provisioning", () => {
  it("removes a half-made file when seeding fails", async () => {
    const id = newId("t");
    await expect(
      provisionTenantFile(dataDir, id, "FULL", async (db) => {
        await db.insertInto("members").values({ user_id: "u1", role: "owner", name: "x", email: "x@y.z", joined_at: 0 }).execute();
        throw new Error("seed failed");
      }),
    ).rejects.toThrow("seed failed");
    const file = tenantFilePath(dataDir, id);
    for (const suffix of ["", "-wal", "-shm", ".lock"]) expect(existsSync(file + suffix)).toBe(false);
  });

  it("refuses while another creation holds the lock, and never overwrites an existing file", async () => {
    const id = newId("t");
    await provisionTenantFile(dataDir, id, "FULL", async () => {});
    await expect(provisionTenantFile(dataDir, id, "FULL", async () => {})).rejects.toThrow(/already exists/);
    const other = newId("t");
    writeFileSync(`${tenantFilePath(dataDir, other)}.lock`, "");
    await expect(provisionTenantFile(dataDir, other, "FULL", async () => {})).rejects.toThrow(/EEXIST/);
    expect(existsSync(tenantFilePath(dataDir, other))).toBe(false);
  });

  it("deletes a tenant's WAL and shared-memory files with it", async () => {
    const id = await makeTenant();
    const pool = new TenantPool({ dataDir, size: 4, synchronous: "FULL" });
    const lease = await pool.acquire(id);
    await lease.db
      .insertInto("clients")
      .values({ id: "c1", name: "x", contact_email: null, notes: "", archived_at: null, created_at: 0, updated_at: 0 })
      .execute();
    const file = tenantFilePath(dataDir, id);
    expect(existsSync(`${file}-wal`)).toBe(true);
    lease.release();
    await pool.close(id);
    deleteTenantFile(dataDir, id);
    for (const suffix of ["", "-wal", "-shm"]) expect(existsSync(file + suffix)).toBe(false);
  });
});

describe("tenant context", () => {
  it("fails loudly when tenant code runs with no tenant in context", () => {
    expect(() => currentTenant()).toThrow(NoTenantError);
    expect(() => tenantDb()).toThrow(NoTenantError);
    expect(() => listClients({ includeArchived: false })).toThrow(NoTenantError);
  });

  it("routes tenant code to the handle in context, and a transaction to its own connection", async () => {
    const [a, b] = [await makeTenant(), await makeTenant()];
    const pool = new TenantPool({ dataDir, size: 4, synchronous: "FULL" });
    const la = await pool.acquire(a);
    const lb = await pool.acquire(b);
    await runInTenant({ tenantId: a, db: la.db, access: FULL_ACCESS }, () =>
      inTenantTransaction(async () => {
        await tenantDb()
          .insertInto("clients")
          .values({ id: "c-a", name: "Only in A", contact_email: null, notes: "", archived_at: null, created_at: 0, updated_at: 0 })
          .execute();
      }),
    );
    expect(
      (await runInTenant({ tenantId: a, db: la.db, access: FULL_ACCESS }, () => listClients({ includeArchived: true }))).map((c) => c.name),
    ).toEqual(["Only in A"]);
    expect(await runInTenant({ tenantId: b, db: lb.db, access: FULL_ACCESS }, () => listClients({ includeArchived: true }))).toEqual([]);
    la.release();
    lb.release();
    await pool.closeAll();
  });

  it("takes the write lock when a transaction begins, before its first write", async () => {
    const id = await makeTenant();
    const pool = new TenantPool({ dataDir, size: 4, synchronous: "FULL" });
    const lease = await pool.acquire(id);
    const other = new Database(tenantFilePath(dataDir, id));
    other.pragma("busy_timeout = 0");
    await runInTenant({ tenantId: id, db: lease.db, access: FULL_ACCESS }, () =>
      inTenantTransaction(async () => {
        await tenantDb().selectFrom("clients").selectAll().execute();
        expect(() => other.exec("begin immediate")).toThrow(/locked|busy/i);
      }),
    );
    other.exec("begin immediate; rollback");
    other.close();
    lease.release();
    await pool.closeAll();
  });

  it("rolls back every write of a failed transaction", async () => {
    const id = await makeTenant();
    const pool = new TenantPool({ dataDir, size: 4, synchronous: "FULL" });
    const lease = await pool.acquire(id);
    await expect(
      runInTenant({ tenantId: id, db: lease.db, access: FULL_ACCESS }, () =>
        inTenantTransaction(async () => {
          await tenantDb()
            .insertInto("clients")
            .values({ id: "c-x", name: "Doomed", contact_email: null, notes: "", archived_at: null, created_at: 0, updated_at: 0 })
            .execute();
          throw new Error("later step failed");
        }),
      ),
    ).rejects.toThrow("later step failed");
    expect(await lease.db.selectFrom("clients").selectAll().execute()).toEqual([]);
    lease.release();
    await pool.closeAll();
  });

  it("keeps the audit log append-only", async () => {
    const id = await makeTenant();
    const pool = new TenantPool({ dataDir, size: 4, synchronous: "FULL" });
    const lease = await pool.acquire(id);
    await lease.db
      .insertInto("audit_log")
      .values({
        at: 1,
        actor_kind: "system",
        actor_id: null,
        ip: null,
        user_agent: null,
        action: "x",
        target_type: null,
        target_id: null,
        detail: "{}",
      })
      .execute();
    await expect(lease.db.updateTable("audit_log").set({ action: "rewritten" }).execute()).rejects.toThrow(/append-only/);
    lease.release();
    await pool.closeAll();
  });
});
