import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addMember, userWithOrg, verifiedUser } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";
import { tenantDigest, tenantRows } from "./support/tenant-files";

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;
let member: Awaited<ReturnType<typeof verifiedUser>> & { id: string };
let manager: Awaited<ReturnType<typeof verifiedUser>>;
const org = "comments-org";
let projectId: string;
let otherProjectId: string;
let taskId: string;
let otherTaskId: string;

async function ok<T>(res: Promise<{ status: number; data: T; error: unknown }>): Promise<T> {
  const r = await res;
  if (r.status !== 200) throw new Error(`expected 200, got ${r.status}: ${JSON.stringify(r.error)}`);
  return r.data;
}

const auditActions = (targetId: string) =>
  tenantRows<{ action: string }>(
    instance.dataDir,
    owner.tenantId,
    `select action from audit_log where target_id = '${targetId}' order by id`,
  ).map((r) => r.action);

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, org);
  const clientId = (await ok(owner.client.mutate("clients.create", { org, name: "Acme" }))).id;
  projectId = (await ok(owner.client.mutate("projects.create", { org, clientId, name: "Shared site" }))).id;
  otherProjectId = (await ok(owner.client.mutate("projects.create", { org, clientId, name: "Other" }))).id;
  taskId = (await ok(owner.client.mutate("tasks.create", { org, projectId, title: "Discuss" }))).id;
  otherTaskId = (await ok(owner.client.mutate("tasks.create", { org, projectId: otherProjectId, title: "Elsewhere" }))).id;
  const m = await verifiedUser(instance, "Plain Member");
  member = { ...m, id: (await addMember(instance, owner.tenantId, m.email, "member")).id };
  manager = await verifiedUser(instance, "The Manager");
  await addMember(instance, owner.tenantId, manager.email, "manager");
  // The sharing API belongs to another domain: the share row is written directly.
  const lease = await instance.services.pool.acquire(owner.tenantId);
  try {
    await lease.db
      .insertInto("project_shares")
      .values({ project_id: projectId, subject_kind: "member", subject_id: member.id, created_by: null, created_at: Date.now() })
      .execute();
  } finally {
    lease.release();
  }
});
afterAll(() => instance.stop());

describe("comments", () => {
  it("adds a comment rendered to safe HTML, audited with its task and project", async () => {
    const body = "Looks **good** <img src=x onerror=alert(1)> [me](javascript:alert(1)) <script>alert(2)</script>";
    const c = await ok(member.client.mutate("comments.create", { org, taskId, body }));
    expect(c).toMatchObject({
      taskId,
      authorId: member.id,
      authorName: "Plain Member",
      body,
      mine: true,
      canEdit: true,
      canDelete: true,
      editedAt: null,
    });
    expect(c.id).toMatch(/^m[a-z2-7]{24}$/);
    expect(c.bodyHtml).toContain("<strong>good</strong>");
    expect(c.bodyHtml).not.toMatch(/<script|<img|href="javascript/i);
    expect(c.bodyHtml).toContain("&lt;img src=x onerror=alert(1)&gt;");
    const [row] = tenantRows<{ action: string; target_type: string; detail: string }>(
      instance.dataDir,
      owner.tenantId,
      `select * from audit_log where target_id = '${c.id}'`,
    );
    expect(row).toMatchObject({ action: "comment.create", target_type: "comment" });
    // The audit row says where, not what: the comment's text stays out of the log.
    expect(JSON.parse(row!.detail)).toEqual({ project_id: projectId, task_id: taskId });
  });

  it("lists a task's comments oldest first, with what the caller may do to each", async () => {
    const task = await ok(owner.client.mutate("tasks.create", { org, projectId, title: "Thread" }));
    await ok(owner.client.mutate("comments.create", { org, taskId: task.id, body: "first" }));
    await ok(member.client.mutate("comments.create", { org, taskId: task.id, body: "second" }));
    const asMember = await ok(member.client.query("comments.list", { org, taskId: task.id }));
    expect(asMember.total).toBe(2);
    expect(asMember.items.map((c: { body: string; canEdit: boolean; canDelete: boolean }) => [c.body, c.canEdit, c.canDelete])).toEqual([
      ["first", false, false],
      ["second", true, true],
    ]);
    const asManager = await ok(manager.client.query("comments.list", { org, taskId: task.id }));
    expect(asManager.items.map((c: { canDelete: boolean }) => c.canDelete)).toEqual([true, true]);
    const paged = await ok(owner.client.query("comments.list", { org, taskId: task.id, limit: 1, offset: 1 }));
    expect(paged.items.map((c: { body: string }) => c.body)).toEqual(["second"]);
  });

  it("lets authors edit their own comments only, marking and auditing the edit", async () => {
    const c = await ok(member.client.mutate("comments.create", { org, taskId, body: "typo" }));
    const edited = await ok(member.client.mutate("comments.update", { org, id: c.id, body: "fixed _now_" }));
    expect(edited).toMatchObject({ body: "fixed _now_", editedAt: expect.any(Number) });
    expect(edited.bodyHtml).toBe("<p>fixed <em>now</em></p>\n");

    const before = tenantDigest(instance.dataDir, owner.tenantId);
    const byOwner = await owner.client.mutate("comments.update", { org, id: c.id, body: "hijacked" });
    expect(byOwner.status).toBe(403);
    expect(byOwner.error?.message).toBe("You can edit only your own comments.");
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(before);
    expect(auditActions(c.id)).toEqual(["comment.create", "comment.update"]);
  });

  it("lets authors delete their own; others' need comment.delete.all", async () => {
    const mine = await ok(member.client.mutate("comments.create", { org, taskId, body: "mine" }));
    const theirs = await ok(manager.client.mutate("comments.create", { org, taskId, body: "the manager's" }));

    const before = tenantDigest(instance.dataDir, owner.tenantId);
    const notYours = await member.client.mutate("comments.delete", { org, id: theirs.id });
    expect(notYours.status).toBe(403);
    expect(notYours.error?.message).toBe("You can delete only your own comments.");
    const noModeration = await member.client.mutate("comments.deleteAny", { org, id: theirs.id });
    expect(noModeration.status).toBe(403);
    expect(noModeration.error?.message).toContain("comment.delete.all");
    expect(tenantDigest(instance.dataDir, owner.tenantId)).toBe(before);

    await ok(member.client.mutate("comments.delete", { org, id: mine.id }));
    await ok(owner.client.mutate("comments.deleteAny", { org, id: theirs.id }));
    const left = await ok(owner.client.query("comments.list", { org, taskId }));
    expect(left.items.map((c: { id: string }) => c.id)).not.toContain(mine.id);
    expect(left.items.map((c: { id: string }) => c.id)).not.toContain(theirs.id);
    expect(auditActions(mine.id)).toEqual(["comment.create", "comment.delete"]);
    expect(auditActions(theirs.id)).toEqual(["comment.create", "comment.delete"]);
    const moderated = tenantRows<{ detail: string }>(
      instance.dataDir,
      owner.tenantId,
      `select detail from audit_log where target_id = '${theirs.id}' and action = 'comment.delete'`,
    );
    expect(JSON.parse(moderated[0]!.detail)).toMatchObject({ moderated: true, author_id: expect.stringMatching(/^u/) });
    expect((await member.client.mutate("comments.delete", { org, id: mine.id })).status).toBe(404);
  });

  it("keeps comments of a hidden project's tasks out of reach, answering like a missing comment", async () => {
    const hidden = await ok(owner.client.mutate("comments.create", { org, taskId: otherTaskId, body: "internal" }));
    const missing = await member.client.mutate("comments.update", { org, id: "m" + "a".repeat(24), body: "x" });
    const refused = await member.client.mutate("comments.update", { org, id: hidden.id, body: "x" });
    expect(refused.status).toBe(404);
    expect(refused.error).toEqual(missing.error);
    expect((await member.client.mutate("comments.delete", { org, id: hidden.id })).status).toBe(404);
    expect((await member.client.query("comments.list", { org, taskId: otherTaskId })).error?.message).toBe("Task not found.");
    expect((await member.client.mutate("comments.create", { org, taskId: otherTaskId, body: "hi" })).status).toBe(404);
  });
});

describe("timelines", () => {
  let task: { id: string };
  let gone: { id: string };

  beforeAll(async () => {
    task = await ok(owner.client.mutate("tasks.create", { org, projectId, title: "Timeline" }));
    const statuses = await ok(owner.client.query("workflow.list", { org }));
    const doing = statuses.find((s: { name: string }) => s.name === "In progress");
    await ok(member.client.mutate("tasks.update", { org, id: task.id, title: "Timeline task" }));
    await ok(member.client.mutate("tasks.move", { org, id: task.id, statusId: doing.id }));
    const c = await ok(member.client.mutate("comments.create", { org, taskId: task.id, body: "hello" }));
    await ok(member.client.mutate("comments.update", { org, id: c.id, body: "hello again" }));
    await ok(member.client.mutate("comments.delete", { org, id: c.id }));
    gone = await ok(owner.client.mutate("tasks.create", { org, projectId, title: "Short-lived" }));
    await ok(owner.client.mutate("tasks.delete", { org, id: gone.id }));
    // Noise in another project and on another task: must stay off these timelines.
    await ok(owner.client.mutate("tasks.update", { org, id: otherTaskId, title: "Elsewhere, edited" }));
    await ok(owner.client.mutate("comments.create", { org, taskId, body: "on another task" }));
  });

  it("shows a task's history, comments included (deleted ones too), newest first, without IP addresses", async () => {
    const page = await ok(member.client.query("activity.task", { org, taskId: task.id }));
    expect(page.items.map((e: { action: string }) => e.action)).toEqual([
      "comment.delete",
      "comment.update",
      "comment.create",
      "task.move",
      "task.update",
      "task.create",
    ]);
    const move = page.items.find((e: { action: string }) => e.action === "task.move");
    expect(move).toMatchObject({
      actorId: member.id,
      actorName: "Plain Member",
      actorKind: "user",
      targetType: "task",
      targetId: task.id,
      detail: { from_name: "Backlog", to_name: "In progress" },
    });
    expect(JSON.stringify(page)).not.toContain("127.0.0.1");
    expect(page.items[0]).not.toHaveProperty("ip");
  });

  it("pages a timeline by cursor", async () => {
    const first = await ok(member.client.query("activity.task", { org, taskId: task.id, limit: 4 }));
    expect(first.items).toHaveLength(4);
    const rest = await ok(member.client.query("activity.task", { org, taskId: task.id, limit: 4, cursor: first.nextCursor }));
    expect(rest.items.map((e: { action: string }) => e.action)).toEqual(["task.update", "task.create"]);
    expect(rest.nextCursor).toBeNull();
  });

  it("shows a project's history: the project, its tasks (deleted too) and their comments, nothing of other projects", async () => {
    const page = await ok(owner.client.query("activity.project", { org, projectId, limit: 200 }));
    const items = page.items as { action: string; targetType: string; targetId: string; detail: { project_id?: string } }[];
    expect(items.at(-1)).toMatchObject({ action: "project.create", targetType: "project", targetId: projectId });
    expect(items.filter((e) => e.targetId === gone.id).map((e) => e.action)).toEqual(["task.delete", "task.create"]);
    expect(items.some((e) => e.targetId === task.id && e.action === "task.move")).toBe(true);
    expect(items.filter((e) => e.targetType === "comment").length).toBeGreaterThan(3);
    for (const e of items) if (e.targetType !== "project") expect(e.detail.project_id).toBe(projectId);
    expect(items.some((e) => e.targetId === otherTaskId || e.targetId === otherProjectId)).toBe(false);
  });

  it("answers a hidden project's or task's timeline like a missing one", async () => {
    const hidden = await member.client.query("activity.project", { org, projectId: otherProjectId });
    expect(hidden.status).toBe(404);
    expect(hidden.error?.message).toBe("Project not found.");
    expect((await member.client.query("activity.task", { org, taskId: otherTaskId })).error?.message).toBe("Task not found.");
  });

  it("reads timelines through the project and task indexes, not a scan of the whole log", () => {
    const plan = (where: string) =>
      tenantRows<{ detail: string }>(
        instance.dataDir,
        owner.tenantId,
        `explain query plan select id from audit_log where ${where} order by id desc limit 51`,
      )
        .map((p) => p.detail)
        .join(" ");
    expect(plan(`json_extract(audit_log.detail, '$.task_id') = 'k1' and target_type in ('task', 'comment')`)).toContain("audit_log_task");
    expect(
      plan(
        `(target_type = 'project' and target_id = 'p1') or (json_extract(audit_log.detail, '$.project_id') = 'p1' and target_type in ('task', 'comment'))`,
      ),
    ).toContain("audit_log_project");
  });
});
