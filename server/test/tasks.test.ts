import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateToLatest } from "../../db/migrate";
import { kyselyFor } from "../../db/sqlite";
import { migration0001 } from "../../db/tenant/migrations/0001_members_clients_projects_audit";
import { migration0002 } from "../../db/tenant/migrations/0002_access_control";
import { tenantMigrations } from "../../db/tenant/migrations";
import type { TenantDB } from "../../db/tenant/schema";
import { renderMarkdown } from "../text/markdown";
import type { Client } from "./support/client";
import { addMember, userWithOrg, verifiedUser } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import { tenantDigest, tenantRows } from "./support/tenant-files";

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
let member: Awaited<ReturnType<typeof verifiedUser>> & { id: string };
const org = "tasks-org";
let clientId: string;
let projectA: string;
let projectB: string;
let statuses: Record<string, { id: string; category: string; position: number }>;

interface AuditRow {
  action: string;
  target_type: string;
  target_id: string;
  actor_id: string;
  detail: string;
}
const auditRows = (targetId: string) =>
  tenantRows<AuditRow>(instance.dataDir, owner.tenantId, `select * from audit_log where target_id = '${targetId}' order by id`);

async function ok<T>(res: Promise<{ status: number; data: T; error: unknown }>): Promise<T> {
  const r = await res;
  if (r.status !== 200) throw new Error(`expected 200, got ${r.status}: ${JSON.stringify(r.error)}`);
  return r.data;
}

async function userId(email: string) {
  return (await instance.services.control.selectFrom("users").select("id").where("email", "=", email).executeTakeFirstOrThrow()).id;
}

/** A direct write in the tenant file, for rows whose API someone else owns (shares, roles, client ties). */
async function inTenant(fn: (db: Awaited<ReturnType<Instance["services"]["pool"]["acquire"]>>["db"]) => Promise<unknown>) {
  const lease = await instance.services.pool.acquire(owner.tenantId);
  try {
    await fn(lease.db);
  } finally {
    lease.release();
  }
}

const createTask = (as: Client, input: Record<string, unknown>) => as.mutate("tasks.create", { org, ...input });

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, org);
  clientId = (await ok(owner.client.mutate("clients.create", { org, name: "Acme" }))).id;
  projectA = (await ok(owner.client.mutate("projects.create", { org, clientId, name: "Alpha site" }))).id;
  projectB = (await ok(owner.client.mutate("projects.create", { org, clientId, name: "Beta app" }))).id;
  const m = await verifiedUser(instance, "Plain Member");
  const row = await addMember(instance, owner.tenantId, m.email, "member");
  member = { ...m, id: row.id };
  const list = await ok<{ id: string; name: string; category: string; position: number }[]>(owner.client.query("workflow.list", { org }));
  statuses = Object.fromEntries(list.map((s) => [s.name, s]));
});
afterAll(() => instance.stop());

describe("workflow", () => {
  it("starts every organisation with a default workflow, in board order", async () => {
    const list = await ok(owner.client.query("workflow.list", { org }));
    expect(list.map((s: { name: string; category: string; position: number }) => [s.name, s.category, s.position])).toEqual([
      ["Backlog", "todo", 0],
      ["To do", "todo", 1],
      ["In progress", "doing", 2],
      ["In review", "doing", 3],
      ["Done", "done", 4],
    ]);
    for (const s of list) expect(s.id).toMatch(/^w[a-z2-7]{24}$/);
  });

  it("gives files made before the tasks migration the default statuses too", async () => {
    const db = kyselyFor<TenantDB>(new Database(":memory:"));
    try {
      await migrateToLatest(db, { "0001_members_clients_projects_audit": migration0001, "0002_access_control": migration0002 }, "old file");
      expect(await migrateToLatest(db, tenantMigrations, "old file")).toContain("0003_tasks");
      const names = await db.selectFrom("workflow_statuses").select("name").orderBy("position").execute();
      expect(names.map((n) => n.name)).toEqual(["Backlog", "To do", "In progress", "In review", "Done"]);
    } finally {
      await db.destroy();
    }
  });

  it("adds, renames, reorders statuses and refuses duplicate names", async () => {
    const qa = await ok(owner.client.mutate("workflow.create", { org, name: "QA", color: "#AABBCC", category: "doing" }));
    expect(qa).toMatchObject({ name: "QA", color: "#aabbcc", category: "doing", position: 5 });
    const dup = await owner.client.mutate("workflow.create", { org, name: "qa", color: "#aabbcc", category: "doing" });
    expect(dup.status).toBe(409);
    await ok(owner.client.mutate("workflow.update", { org, id: qa.id, name: "Testing", position: 1 }));
    const list = await ok(owner.client.query("workflow.list", { org }));
    expect(list.map((s: { name: string }) => s.name)).toEqual(["Backlog", "Testing", "To do", "In progress", "In review", "Done"]);
    expect(list.map((s: { position: number }) => s.position)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(auditRows(qa.id).map((r) => r.action)).toEqual(["workflow.status_create", "workflow.status_update"]);
    await ok(owner.client.mutate("workflow.delete", { org, id: qa.id }));
  });

  it("refuses to delete a status in use until its tasks are moved, then moves them and deletes it", async () => {
    const parked = await ok(owner.client.mutate("workflow.create", { org, name: "Parked", color: "#999999", category: "todo" }));
    const task = await ok(createTask(owner.client, { projectId: projectA, title: "Parked work", statusId: parked.id }));
    const before = tenantDigest(instance.dataDir, owner.tenantId);
    const refused = await owner.client.mutate("workflow.delete", { org, id: parked.id });
    expect(refused.status).toBe(409);
    expect(refused.error?.message).toMatch(/Tasks use this status/);
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(before);
    expect((await owner.client.mutate("workflow.delete", { org, id: parked.id, moveTo: parked.id })).status).toBe(400);

    await ok(owner.client.mutate("workflow.delete", { org, id: parked.id, moveTo: statuses["To do"]!.id }));
    expect((await ok(owner.client.query("tasks.get", { org, id: task.id }))).status.name).toBe("To do");
    const [row] = auditRows(parked.id).filter((r) => r.action === "workflow.status_delete");
    expect(JSON.parse(row!.detail)).toMatchObject({ moved: 1, moved_to: statuses["To do"]!.id });
  });

  it("keeps at least one todo and one done status", async () => {
    const done = statuses.Done!.id;
    const res = await owner.client.mutate("workflow.delete", { org, id: done });
    expect(res.status).toBe(409);
    expect(res.error?.message).toMatch(/only "done" status/);
    expect((await owner.client.mutate("workflow.update", { org, id: done, category: "doing" })).status).toBe(409);
  });

  it("answers an unknown status with 404 and refuses members without workflow.manage", async () => {
    expect((await owner.client.mutate("workflow.update", { org, id: "w" + "a".repeat(24), name: "Ghost" })).status).toBe(404);
    const res = await member.client.mutate("workflow.create", { org, name: "Mine", color: "#000000", category: "todo" });
    expect(res.status).toBe(403);
    expect(res.error?.message).toContain("workflow.manage");
  });
});

describe("tasks", () => {
  it("creates a task in the first todo status with sensible defaults, and audits it with its project", async () => {
    const task = await ok(createTask(owner.client, { projectId: projectA, title: "  Write copy  " }));
    expect(task).toMatchObject({
      title: "Write copy",
      kind: "task",
      priority: "normal",
      dueDate: null,
      estimateSeconds: null,
      projectId: projectA,
      projectName: "Alpha site",
      status: { id: statuses.Backlog!.id, category: "todo" },
      assignees: [],
      labels: [],
    });
    expect(task.id).toMatch(/^k[a-z2-7]{24}$/);
    const [row] = auditRows(task.id);
    expect(row).toMatchObject({ action: "task.create", target_type: "task" });
    expect(JSON.parse(row!.detail)).toMatchObject({ project_id: projectA, task_id: task.id, title: "Write copy" });
  });

  it("records a move with where it came from and where it went; a move to the same status records nothing", async () => {
    const task = await ok(createTask(owner.client, { projectId: projectA, title: "Move me" }));
    const moved = await ok(owner.client.mutate("tasks.move", { org, id: task.id, statusId: statuses["In progress"]!.id }));
    expect(moved.status.name).toBe("In progress");
    await ok(owner.client.mutate("tasks.move", { org, id: task.id, statusId: statuses["In progress"]!.id }));
    const moves = auditRows(task.id).filter((r) => r.action === "task.move");
    expect(moves).toHaveLength(1);
    expect(JSON.parse(moves[0]!.detail)).toMatchObject({
      from: statuses.Backlog!.id,
      to: statuses["In progress"]!.id,
      from_name: "Backlog",
      to_name: "In progress",
      project_id: projectA,
    });
    const ghost = await owner.client.mutate("tasks.move", { org, id: task.id, statusId: "w" + "b".repeat(24) });
    expect(ghost.status).toBe(400);
  });

  it("assigns members only, and records who was added and removed", async () => {
    const task = await ok(createTask(owner.client, { projectId: projectA, title: "Assign me" }));
    const ownerId = await userId(owner.email);
    const assigned = await ok(owner.client.mutate("tasks.assign", { org, id: task.id, assigneeIds: [ownerId, member.id] }));
    expect(assigned.assignees.map((a: { userId: string }) => a.userId).sort()).toEqual([ownerId, member.id].sort());
    await ok(owner.client.mutate("tasks.assign", { org, id: task.id, assigneeIds: [member.id] }));
    const rows = auditRows(task.id).filter((r) => r.action === "task.assign");
    expect(JSON.parse(rows[1]!.detail)).toMatchObject({ added: [], removed: [ownerId] });

    // A real user, but not a member of this organisation.
    const stranger = await verifiedUser(instance, "Stranger");
    const before = tenantDigest(instance.dataDir, owner.tenantId);
    const res = await owner.client.mutate("tasks.assign", { org, id: task.id, assigneeIds: [await userId(stranger.email)] });
    expect(res.status).toBe(400);
    expect(res.error?.message).toBe("Assignees must be members of this organisation.");
    const atCreate = await createTask(owner.client, { projectId: projectA, title: "X", assigneeIds: ["u" + "c".repeat(24)] });
    expect(atCreate.status).toBe(400);
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(before);
  });

  it("needs task.assign to assign at creation", async () => {
    const limited = await verifiedUser(instance, "Creator only");
    await inTenant(async (db) => {
      await db
        .insertInto("roles")
        .values({
          id: "creator",
          name: "Creator",
          description: "",
          permissions: JSON.stringify(["task.read", "task.create", "project.read.all"]),
          created_at: 0,
          updated_at: 0,
        })
        .execute();
    });
    await addMember(instance, owner.tenantId, limited.email, "creator");
    const refused = await createTask(limited.client, { projectId: projectA, title: "With people", assigneeIds: [member.id] });
    expect(refused.status).toBe(403);
    expect(refused.error?.message).toContain("task.assign");
    expect((await createTask(limited.client, { projectId: projectA, title: "Alone" })).status).toBe(200);
  });

  it("updates only the fields it names, sets labels, and refuses unknown labels", async () => {
    const label = await ok(owner.client.mutate("labels.create", { org, name: "Bug", color: "#ff0000" }));
    const task = await ok(
      createTask(owner.client, { projectId: projectA, title: "Edit me", priority: "high", dueDate: "2026-03-01", estimateSeconds: 7200 }),
    );
    const updated = await ok(owner.client.mutate("tasks.update", { org, id: task.id, title: "Edited", labelIds: [label.id] }));
    expect(updated).toMatchObject({
      title: "Edited",
      priority: "high",
      dueDate: "2026-03-01",
      estimateSeconds: 7200,
      labels: [{ id: label.id, name: "Bug", color: "#ff0000" }],
    });
    const cleared = await ok(owner.client.mutate("tasks.update", { org, id: task.id, dueDate: null }));
    expect(cleared.dueDate).toBeNull();
    expect((await owner.client.mutate("tasks.update", { org, id: task.id, labelIds: ["l" + "d".repeat(24)] })).status).toBe(400);
    const rows = auditRows(task.id).filter((r) => r.action === "task.update");
    expect(JSON.parse(rows[0]!.detail).fields).toEqual(["title", "labelIds"]);
  });

  it("refuses a task in an archived project", async () => {
    const old = await ok(owner.client.mutate("projects.create", { org, clientId, name: "Old" }));
    await ok(owner.client.mutate("projects.setArchived", { org, id: old.id, archived: true }));
    const res = await createTask(owner.client, { projectId: old.id, title: "Too late" });
    expect(res.status).toBe(400);
    expect(res.error?.message).toMatch(/archived/);
  });

  it("deletes a task with its comments, and audits it", async () => {
    const task = await ok(createTask(owner.client, { projectId: projectA, title: "Delete me" }));
    await ok(owner.client.mutate("comments.create", { org, taskId: task.id, body: "bye" }));
    await ok(owner.client.mutate("tasks.delete", { org, id: task.id }));
    expect((await owner.client.query("tasks.get", { org, id: task.id })).status).toBe(404);
    expect(tenantRows(instance.dataDir, owner.tenantId, `select * from comments where task_id = '${task.id}'`)).toEqual([]);
    expect(auditRows(task.id).map((r) => r.action)).toEqual(["task.create", "task.delete"]);
    expect((await member.client.mutate("tasks.delete", { org, id: task.id })).status).toBe(403);
  });
});

describe("the task list", () => {
  const slug = "list-org";
  let o: Awaited<ReturnType<typeof userWithOrg>>;
  let p1: string;
  let p2: string;
  let labelId: string;
  let ownerId: string;
  let st: Record<string, string>;

  const list = async (input: Record<string, unknown>) =>
    ok<{ items: { title: string }[]; total: number }>(o.client.query("tasks.list", { org: slug, ...input }));
  const titles = async (input: Record<string, unknown>) => (await list(input)).items.map((t) => t.title);

  beforeAll(async () => {
    o = await userWithOrg(instance, slug);
    ownerId = await userId(o.email);
    const c = (await ok(o.client.mutate("clients.create", { org: slug, name: "C" }))).id;
    p1 = (await ok(o.client.mutate("projects.create", { org: slug, clientId: c, name: "P1" }))).id;
    p2 = (await ok(o.client.mutate("projects.create", { org: slug, clientId: c, name: "P2" }))).id;
    labelId = (await ok(o.client.mutate("labels.create", { org: slug, name: "Urgent-ish" }))).id;
    st = Object.fromEntries(
      (await ok(o.client.query("workflow.list", { org: slug }))).map((s: { name: string; id: string }) => [s.name, s.id]),
    );
    const specs = [
      { projectId: p1, title: "Alpha", priority: "low", dueDate: "2026-01-10" },
      { projectId: p1, title: "bravo", priority: "urgent", dueDate: "2026-01-05", labelIds: [labelId], assigneeIds: [ownerId] },
      { projectId: p1, title: "Charlie 100%", priority: "normal", statusId: st["In progress"] },
      { projectId: p2, title: "Delta", priority: "high", dueDate: "2026-02-01", statusId: st.Done, assigneeIds: [ownerId] },
      { projectId: p2, title: "echo_x", priority: "low", dueDate: "2026-01-20", labelIds: [labelId] },
    ];
    for (const s of specs) await ok(o.client.mutate("tasks.create", { org: slug, ...s }));
    await ok(o.client.mutate("requests.raise", { org: slug, projectId: p2, title: "Foxtrot request" }));
  });

  it("filters by project, assignee, status, category, kind, label, due range and title", async () => {
    expect(await titles({ projectId: p1, sort: "title" })).toEqual(["Alpha", "bravo", "Charlie 100%"]);
    expect(await titles({ assigneeId: ownerId, sort: "title" })).toEqual(["bravo", "Delta"]);
    expect(await titles({ statusId: st["In progress"] })).toEqual(["Charlie 100%"]);
    expect(await titles({ category: "done" })).toEqual(["Delta"]);
    expect(await titles({ kind: "request" })).toEqual(["Foxtrot request"]);
    expect(await titles({ labelId, sort: "title" })).toEqual(["bravo", "echo_x"]);
    expect(await titles({ dueAfter: "2026-01-06", dueBefore: "2026-01-20", sort: "due" })).toEqual(["Alpha", "echo_x"]);
    expect(await titles({ search: "ALP" })).toEqual(["Alpha"]);
    // "%" and "_" are literal characters in a search, not wildcards.
    expect(await titles({ search: "%" })).toEqual(["Charlie 100%"]);
    expect(await titles({ search: "_" })).toEqual(["echo_x"]);
  });

  it("sorts by due (undated last), priority, title, and created either way", async () => {
    const byDue = await titles({ sort: "due" });
    expect(byDue.slice(0, 4)).toEqual(["bravo", "Alpha", "echo_x", "Delta"]);
    expect(byDue.slice(4).sort()).toEqual(["Charlie 100%", "Foxtrot request"]);
    expect((await titles({ sort: "priority" })).slice(0, 2)).toEqual(["bravo", "Delta"]);
    expect(await titles({ sort: "title" })).toEqual(["Alpha", "bravo", "Charlie 100%", "Delta", "echo_x", "Foxtrot request"]);
    expect(await titles({ sort: "title", direction: "desc" })).toEqual([
      "Foxtrot request",
      "echo_x",
      "Delta",
      "Charlie 100%",
      "bravo",
      "Alpha",
    ]);
    const created = (await list({ sort: "created", direction: "asc" })).items.map((t) => (t as unknown as { createdAt: number }).createdAt);
    expect(created).toEqual([...created].sort((a, b) => a - b));
    expect(created).toHaveLength(6);
  });

  it("pages with limit and offset and counts every match, not just the page", async () => {
    const first = await list({ sort: "title", limit: 2 });
    const third = await list({ sort: "title", limit: 2, offset: 4 });
    expect(first.items.map((t) => t.title)).toEqual(["Alpha", "bravo"]);
    expect(third.items.map((t) => t.title)).toEqual(["echo_x", "Foxtrot request"]);
    expect(first.total).toBe(6);
    expect((await list({ projectId: p1, limit: 1 })).total).toBe(3);
  });

  it("refuses a due range that ends before it starts, and an unknown sort", async () => {
    expect((await o.client.query("tasks.list", { org: slug, dueAfter: "2026-02-01", dueBefore: "2026-01-01" })).status).toBe(400);
    expect((await o.client.query("tasks.list", { org: slug, sort: "id; drop table tasks" })).status).toBe(400);
  });

  it("groups the board by status in workflow order, capped per column with the full count", async () => {
    for (let i = 0; i < 3; i++)
      await ok(o.client.mutate("tasks.create", { org: slug, projectId: p1, title: `Filler ${i}`, statusId: st["In review"] }));
    const board = await ok(o.client.query("tasks.board", { org: slug, perColumn: 2 }));
    expect(board.columns.map((c: { status: { name: string } }) => c.status.name)).toEqual([
      "Backlog",
      "To do",
      "In progress",
      "In review",
      "Done",
    ]);
    const byName = Object.fromEntries(board.columns.map((c: { status: { name: string } }) => [c.status.name, c]));
    expect(byName.Backlog.total).toBe(4);
    expect(byName.Backlog.tasks.map((t: { title: string }) => t.title)).toEqual(["bravo", "Foxtrot request"]);
    expect(byName["In review"].total).toBe(3);
    expect(byName["In review"].tasks).toHaveLength(2);
    expect(byName.Done.tasks.map((t: { title: string }) => t.title)).toEqual(["Delta"]);
    const one = await ok(o.client.query("tasks.board", { org: slug, projectId: p2 }));
    expect(one.columns.flatMap((c: { tasks: { projectId: string }[] }) => c.tasks.map((t) => t.projectId))).toEqual([p2, p2, p2]);
  });
});

describe("requests", () => {
  let contact: Awaited<ReturnType<typeof verifiedUser>>;
  let requestId: string;

  beforeAll(async () => {
    contact = await verifiedUser(instance, "Client Contact");
    const row = await addMember(instance, owner.tenantId, contact.email, "client");
    await inTenant(async (db) => {
      await db.updateTable("members").set({ client_id: clientId }).where("user_id", "=", row.id).execute();
      // Only project A is shared with the contact's client.
      await db
        .insertInto("project_shares")
        .values({ project_id: projectA, subject_kind: "client", subject_id: clientId, created_by: null, created_at: Date.now() })
        .execute();
    });
  });

  it("lets a client contact raise a request on a shared project only, and not create tasks", async () => {
    const raised = await ok(
      contact.client.mutate("requests.raise", { org, projectId: projectA, title: "Please fix the logo", description: "It is **blurry**" }),
    );
    expect(raised).toMatchObject({ kind: "request", status: { category: "todo" }, createdByName: "Client Contact" });
    expect(raised.descriptionHtml).toContain("<strong>blurry</strong>");
    requestId = raised.id;
    const hidden = await contact.client.mutate("requests.raise", { org, projectId: projectB, title: "Nope" });
    expect(hidden.status).toBe(404);
    expect(hidden.error?.message).toBe("Project not found.");
    const task = await createTask(contact.client, { projectId: projectA, title: "Direct" });
    expect(task.status).toBe(403);
    expect((await contact.client.mutate("requests.triage", { org, id: requestId, decision: "accept" })).status).toBe(403);
    // The contact sees their project's tasks, and no other project's.
    const seen = await ok(contact.client.query("tasks.list", { org, limit: 200 }));
    expect(seen.items.every((t: { projectId: string }) => t.projectId === projectA)).toBe(true);
    expect(seen.items.map((t: { id: string }) => t.id)).toContain(requestId);
  });

  it("accepts a request into a todo status as a task, auditing it", async () => {
    const wrong = await owner.client.mutate("requests.triage", { org, id: requestId, decision: "accept", statusId: statuses.Done!.id });
    expect(wrong.status).toBe(400);
    const accepted = await ok(
      owner.client.mutate("requests.triage", { org, id: requestId, decision: "accept", statusId: statuses["To do"]!.id }),
    );
    expect(accepted).toMatchObject({ kind: "task", status: { id: statuses["To do"]!.id } });
    expect(auditRows(requestId).map((r) => r.action)).toEqual(["request.create", "request.accept"]);
    const again = await owner.client.mutate("requests.triage", { org, id: requestId, decision: "accept" });
    expect(again.status).toBe(409);
  });

  it("declines a request with a reason into a done status; a closed request cannot be triaged again", async () => {
    const raised = await ok(contact.client.mutate("requests.raise", { org, projectId: projectA, title: "Free redesign" }));
    const declined = await ok(owner.client.mutate("requests.triage", { org, id: raised.id, decision: "decline", reason: "Out of scope" }));
    expect(declined).toMatchObject({ kind: "request", status: { category: "done" }, declineReason: "Out of scope" });
    const seen = await ok(contact.client.query("tasks.get", { org, id: raised.id }));
    expect(seen.declineReason).toBe("Out of scope");
    expect((await owner.client.mutate("requests.triage", { org, id: raised.id, decision: "accept" })).status).toBe(409);
    const row = auditRows(raised.id).find((r) => r.action === "request.decline");
    expect(JSON.parse(row!.detail)).toMatchObject({ reason: "Out of scope", to: statuses.Done!.id });
  });
});

describe("markdown", () => {
  const attacks = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click]( javascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](file:///etc/passwd)",
    "[click](//evil.test/x)",
    "<javascript:alert(1)>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    '[t](https://ok.test "a\\" onmouseover=\\"alert(1)")',
    "![img](https://tracker.test/pixel.png)",
    '![x](x" onerror="alert(1))',
    "```html\n<script>alert(1)</script>\n```",
    "`<svg onload=alert(1)>`",
    "<svg/onload=alert(1)>",
    "<iframe src=https://evil.test></iframe>",
    "<<script>script>alert(1)<</script>/script>",
    '[x](https://ok.test/"><script>alert(1)</script>)',
    "javascript:alert(1)",
  ];

  /** Every tag the HTML holds, with its attributes parsed as a browser would (name="value" pairs only). */
  function tags(html: string) {
    return [...html.matchAll(/<([a-z0-9]+)([^>]*)>/gi)].map((m) => {
      const raw = m[2]!;
      const attrs = [...raw.matchAll(/\s([a-z-]+)="([^"]*)"/gi)].map((a) => ({ name: a[1]!.toLowerCase(), value: a[2]! }));
      // Nothing may sit between the pairs: an unquoted or stray token would be a second attribute.
      expect(raw.replace(/\s([a-z-]+)="([^"]*)"/gi, "")).toBe("");
      return { name: m[1]!.toLowerCase(), attrs };
    });
  }

  it.each(attacks)("renders %j without script, event handlers or unsafe links", (text) => {
    const html = renderMarkdown(text);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<(iframe|svg|img|object|embed|style)/i);
    for (const tag of tags(html)) {
      expect(["p", "a", "code", "pre", "strong", "em", "br"]).toContain(tag.name);
      for (const attr of tag.attrs) {
        expect(["href", "rel", "target", "title", "class"]).toContain(attr.name);
        if (attr.name === "href") expect(attr.value).toMatch(/^(https?:\/\/|mailto:)/i);
      }
    }
  });

  it("still renders ordinary markdown and safe links", () => {
    const html = renderMarkdown("**bold** _it_ [site](https://example.test/a?b=1&c=2) mail@example.com www.example.com\n\n- one\n- two");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain('<a href="https://example.test/a?b=1&amp;c=2" rel="nofollow noopener noreferrer" target="_blank">site</a>');
    expect(html).toContain('href="mailto:mail@example.com"');
    expect(html).toContain('href="http://www.example.com"');
    expect(html).toContain("<li>two</li>");
  });

  it("serves a task's description through the API rendered the same safe way", async () => {
    const task = await ok(
      createTask(owner.client, {
        projectId: projectA,
        title: "Markdown",
        description: "Hi <script>alert(1)</script> [x](javascript:alert(1))",
      }),
    );
    const got = await ok(owner.client.query("tasks.get", { org, id: task.id }));
    expect(got.description).toBe("Hi <script>alert(1)</script> [x](javascript:alert(1))");
    expect(got.descriptionHtml).toBe("<p>Hi &lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(1))</p>\n");
  });
});

describe("visibility", () => {
  let hiddenTask: { id: string };
  let hiddenComment: { id: string };

  beforeAll(async () => {
    hiddenTask = await ok(createTask(owner.client, { projectId: projectB, title: "Secret B task" }));
    hiddenComment = await ok(owner.client.mutate("comments.create", { org, taskId: hiddenTask.id, body: "secret" }));
  });

  it("hides an unshared project's tasks from a member as if they did not exist", async () => {
    const missing = await member.client.query("tasks.get", { org, id: "k" + "z".repeat(24) });
    const hidden = await member.client.query("tasks.get", { org, id: hiddenTask.id });
    expect(hidden.status).toBe(404);
    expect(hidden.error).toEqual(missing.error);
    expect(hidden.error?.message).toBe("Task not found.");

    const before = tenantDigest(instance.dataDir, owner.tenantId);
    const attempts = [
      member.client.mutate("tasks.update", { org, id: hiddenTask.id, title: "Mine now" }),
      member.client.mutate("tasks.move", { org, id: hiddenTask.id, statusId: statuses.Done!.id }),
      member.client.mutate("tasks.assign", { org, id: hiddenTask.id, assigneeIds: [member.id] }),
      member.client.mutate("comments.create", { org, taskId: hiddenTask.id, body: "hi" }),
      member.client.query("comments.list", { org, taskId: hiddenTask.id }),
      member.client.query("activity.task", { org, taskId: hiddenTask.id }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(404);
      expect(res.error?.message).toBe("Task not found.");
    }
    const comment = await member.client.mutate("comments.update", { org, id: hiddenComment.id, body: "x" });
    expect(comment.status).toBe(404);
    const created = await createTask(member.client, { projectId: projectB, title: "Sneaky" });
    expect(created.status).toBe(404);
    expect(created.error?.message).toBe("Project not found.");
    expect((await member.client.query("activity.project", { org, projectId: projectB })).status).toBe(404);
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(before);

    const listed = await ok(member.client.query("tasks.list", { org, limit: 200 }));
    expect(listed).toEqual({ items: [], total: 0 });
    const filtered = await ok(member.client.query("tasks.list", { org, projectId: projectB }));
    expect(filtered.total).toBe(0);
    const board = await ok(member.client.query("tasks.board", { org }));
    expect(board.columns.every((c: { tasks: unknown[]; total: number }) => c.tasks.length === 0 && c.total === 0)).toBe(true);
    const counts = await ok(member.client.query("workflow.list", { org }));
    expect(counts.every((s: { taskCount: number }) => s.taskCount === 0)).toBe(true);
    expect(await ok(member.client.query("tasks.projects", { org }))).toEqual([]);
  });

  it("shows them once the project is shared with the member", async () => {
    await inTenant((db) =>
      db
        .insertInto("project_shares")
        .values({ project_id: projectB, subject_kind: "member", subject_id: member.id, created_by: null, created_at: Date.now() })
        .execute(),
    );
    try {
      const got = await ok(member.client.query("tasks.get", { org, id: hiddenTask.id }));
      expect(got.title).toBe("Secret B task");
      const listed = await ok(member.client.query("tasks.list", { org, limit: 200 }));
      expect(listed.total).toBeGreaterThan(0);
      expect(listed.items.every((t: { projectId: string }) => t.projectId === projectB)).toBe(true);
      // Project A is still not shared with them.
      const all = await ok(owner.client.query("tasks.list", { org, limit: 200 }));
      expect(listed.total).toBe(all.items.filter((t: { projectId: string }) => t.projectId === projectB).length);
      expect((await ok(member.client.query("comments.list", { org, taskId: hiddenTask.id }))).total).toBe(1);
      expect((await ok(member.client.query("tasks.projects", { org }))).map((p: { id: string }) => p.id)).toEqual([projectB]);
      const moved = await ok(member.client.mutate("tasks.move", { org, id: hiddenTask.id, statusId: statuses["In progress"]!.id }));
      expect(moved.status.name).toBe("In progress");
    } finally {
      await inTenant((db) =>
        db.deleteFrom("project_shares").where("project_id", "=", projectB).where("subject_id", "=", member.id).execute(),
      );
    }
  });

  it("never finds another organisation's task, even by its exact id", async () => {
    const other = await userWithOrg(instance, "tasks-other");
    const c = await ok(other.client.mutate("clients.create", { org: "tasks-other", name: "Other" }));
    const p = await ok(other.client.mutate("projects.create", { org: "tasks-other", clientId: c.id, name: "Other project" }));
    const t = await ok(other.client.mutate("tasks.create", { org: "tasks-other", projectId: p.id, title: "Theirs" }));
    const res = await owner.client.query("tasks.get", { org, id: t.id });
    expect(res.status).toBe(404);
    expect((await owner.client.mutate("tasks.move", { org, id: t.id, statusId: statuses.Done!.id })).status).toBe(404);
    expect((await other.client.query("tasks.get", { org, id: hiddenTask.id })).status).toBe(404);
  });
});
