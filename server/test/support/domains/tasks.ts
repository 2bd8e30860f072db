import type { TenantCalls } from "../calls";
import type { Seeding } from "../world";

/** Valid inputs for the tasks, requests, workflow, labels, comments and activity procedures. */
export const tasksCalls: TenantCalls = {
  "tasks.list": {
    kind: "query",
    input: (t) => ({ org: t.slug, projectId: t.projectId, sort: "due" }),
    foreignIds: "answered",
    project: "list",
  },
  "tasks.board": { kind: "query", input: (t) => ({ org: t.slug, projectId: t.projectId }), foreignIds: "answered", project: "list" },
  "tasks.get": { kind: "query", input: (t) => ({ org: t.slug, id: t.taskId }), project: "target" },
  "tasks.projects": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered", project: "list" },
  "tasks.assignable": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  "tasks.create": {
    kind: "mutation",
    input: (t) => ({ org: t.slug, projectId: t.projectId, title: `Task ${Math.random()}` }),
    project: "target",
  },
  "tasks.update": {
    kind: "mutation",
    input: (t) => ({ org: t.slug, id: t.taskId, title: "Renamed task", priority: "high" }),
    project: "target",
  },
  "tasks.assign": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.taskId, assigneeIds: [] }), project: "target" },
  "tasks.move": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.taskId, statusId: t.statusId }), project: "target" },
  "tasks.delete": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.taskId }), project: "target" },
  "requests.raise": {
    kind: "mutation",
    input: (t) => ({ org: t.slug, projectId: t.projectId, title: `Request ${Math.random()}` }),
    project: "target",
  },
  "requests.triage": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.requestId, decision: "accept" }), project: "target" },
  "workflow.list": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  "workflow.create": {
    kind: "mutation",
    input: (t) => ({ org: t.slug, name: `Status ${Math.random()}`, color: "#123456", category: "doing" }),
    foreignIds: "answered",
  },
  "workflow.update": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.statusId, color: "#abcdef", position: 0 }) },
  "workflow.delete": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.statusId }) },
  "labels.list": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  "labels.create": {
    kind: "mutation",
    input: (t) => ({ org: t.slug, name: `Label ${Math.random()}`, color: "#aa0000" }),
    foreignIds: "answered",
  },
  "labels.update": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.labelId, color: "#00aa00" }) },
  "labels.delete": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.labelId }) },
  "comments.list": { kind: "query", input: (t) => ({ org: t.slug, taskId: t.taskId }), project: "target" },
  "comments.create": { kind: "mutation", input: (t) => ({ org: t.slug, taskId: t.taskId, body: "A **new** comment" }), project: "target" },
  "comments.update": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.commentId, body: "Edited" }), project: "target" },
  "comments.delete": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.commentId }), project: "target" },
  "comments.deleteAny": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.commentId }), project: "target" },
  "activity.task": { kind: "query", input: (t) => ({ org: t.slug, taskId: t.taskId }), project: "target" },
  "activity.project": { kind: "query", input: (t) => ({ org: t.slug, projectId: t.projectId }), project: "target" },
};

const long = (n: number) => "x".repeat(n);

/** Bad inputs for the tasks procedures (see bad-input.test.ts); "$key" names a seeded row of the target. */
export const tasksBadInputs = (org: string): Record<string, unknown[]> => ({
  "tasks.list": [
    { org, sort: "random()" },
    { org, limit: 0 },
    { org, dueBefore: "2026-02-30" },
    { org, dueAfter: "2026-05-02", dueBefore: "2026-05-01" },
    { org, assigneeId: "' or 1=1 --" },
  ],
  "tasks.board": [
    { org, perColumn: 0 },
    { org, projectId: "$clientId" },
    { org, kind: "bug" },
  ],
  "tasks.get": [{ org }, { org, id: "$projectId" }, { org, id: 5 }],
  "tasks.projects": [{}, { org: "Not A Slug" }],
  "tasks.assignable": [{ org: 7 }],
  "tasks.create": [
    { org, projectId: "$projectId", title: "" },
    { org, projectId: "$projectId", title: "Ok", priority: "critical" },
    { org, projectId: "$projectId", title: "Ok", dueDate: "31/12/2026" },
    { org, projectId: "$projectId", title: "Ok", estimateSeconds: -1 },
    { org, projectId: "$projectId", title: "Ok", description: long(20_001) },
    { org, title: "No project" },
  ],
  "tasks.update": [
    { org, id: "$taskId", title: long(201) },
    { org, id: "$taskId", estimateSeconds: 1.5 },
    { org, id: "$taskId", labelIds: ["not-a-label"] },
    { org, id: "$taskId", labelIds: "all" },
  ],
  "tasks.assign": [
    { org, id: "$taskId" },
    { org, id: "$taskId", assigneeIds: ["not-a-user"] },
    { org, id: "$taskId", assigneeIds: "u" },
  ],
  "tasks.move": [
    { org, id: "$taskId" },
    { org, id: "$taskId", statusId: "Done" },
    { org, id: "$statusId", statusId: "$statusId" },
  ],
  "tasks.delete": [{ org }, { org, id: "../k" }],
  "requests.raise": [
    { org, projectId: "$projectId" },
    { org, projectId: "$projectId", title: "   " },
    { org, projectId: "$clientId", title: "Ok" },
  ],
  "requests.triage": [
    { org, id: "$requestId" },
    { org, id: "$requestId", decision: "maybe" },
    { org, id: "$requestId", decision: "decline" },
    { org, id: "$requestId", decision: "decline", reason: long(2001) },
  ],
  "workflow.list": [{}],
  "workflow.create": [
    { org, name: "Ok", color: "red", category: "todo" },
    { org, name: "", color: "#ffffff", category: "todo" },
    { org, name: "Ok", color: "#ffffff", category: "blocked" },
  ],
  "workflow.update": [
    { org, id: "$statusId", color: "#12345" },
    { org, id: "$statusId", position: -1 },
    { org, id: "$labelId", name: "x" },
  ],
  "workflow.delete": [{ org }, { org, id: "$statusId", moveTo: "elsewhere" }],
  "labels.list": [{ org: "" }],
  "labels.create": [{ org }, { org, name: long(51) }, { org, name: "Ok", color: "#zzzzzz" }],
  "labels.update": [
    { org, id: "$labelId", name: "" },
    { org, id: "$statusId", name: "Ok" },
  ],
  "labels.delete": [{ org }, { org, id: 12 }],
  "comments.list": [{ org }, { org, taskId: "$taskId", limit: 500 }],
  "comments.create": [
    { org, taskId: "$taskId" },
    { org, taskId: "$taskId", body: "   " },
    { org, taskId: "$taskId", body: long(10_001) },
  ],
  "comments.update": [
    { org, id: "$commentId" },
    { org, id: "$taskId", body: "Ok" },
  ],
  "comments.delete": [{ org }, { org, id: "$taskId" }],
  "comments.deleteAny": [{ org }, { org, id: "m" }],
  "activity.task": [{ org }, { org, taskId: "$taskId", cursor: 0 }],
  "activity.project": [{ org }, { org, projectId: "$projectId", limit: 201 }],
});

async function ok<T>(res: Promise<{ status: number; data: T; error: unknown }>, what: string): Promise<T> {
  const r = await res;
  if (r.status !== 200) throw new Error(`seed ${what}: ${JSON.stringify(r.error)}`);
  return r.data;
}

/** A custom status, a label, a task carrying it in the target project, a comment and an open request. */
export async function seedTasks({ owner, target }: Seeding): Promise<void> {
  const org = target.slug;
  target.statusId = (
    await ok(owner.mutate("workflow.create", { org, name: `Waiting on ${org}`, color: "#cc8800", category: "doing" }), "status")
  ).id;
  target.labelId = (await ok(owner.mutate("labels.create", { org, name: `Label of ${org}`, color: "#3366cc" }), "label")).id;
  const task = await ok(
    owner.mutate("tasks.create", {
      org,
      projectId: target.projectId,
      title: `Task of ${org}`,
      description: "Seeded *task*",
      labelIds: [target.labelId],
    }),
    "task",
  );
  target.taskId = task.id;
  target.commentId = (await ok(owner.mutate("comments.create", { org, taskId: task.id, body: `Comment of ${org}` }), "comment")).id;
  target.requestId = (
    await ok(owner.mutate("requests.raise", { org, projectId: target.projectId, title: `Request of ${org}` }), "request")
  ).id;
}
