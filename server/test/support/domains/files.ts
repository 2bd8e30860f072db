import type { TenantCalls } from "../calls";
import type { Seeding } from "../world";

/**
 * Valid inputs for the files procedures. The seeded `attachmentId` is a small text file on the
 * target's task (uploaded over POST /api/files/upload, as the web app does). files.upload over
 * /api/trpc has no body stream: after the access checks it answers 400, so the suites see its
 * refusals only.
 */
export const filesCalls: TenantCalls = {
  "files.list": { kind: "query", input: (t) => ({ org: t.slug, targetType: "task", targetId: t.taskId }), project: "target" },
  "files.get": { kind: "query", input: (t) => ({ org: t.slug, id: t.attachmentId }), project: "target" },
  "files.upload": {
    kind: "mutation",
    input: (t) => ({ org: t.slug, targetType: "task", targetId: t.taskId, name: "notes.txt" }),
    project: "target",
  },
  "files.delete": { kind: "mutation", input: (t) => ({ org: t.slug, id: t.attachmentId }), project: "target" },
};

/** Bad inputs for the files procedures (see bad-input.test.ts); "$key" names a seeded row of the target. */
export const filesBadInputs = (org: string): Record<string, unknown[]> => {
  const up = { org, targetType: "task", targetId: "$taskId" };
  return {
    "files.list": [
      { org, targetType: "comment", targetId: "$taskId" },
      { org, targetType: "task" },
      { org, targetType: "task", targetId: "../../etc/passwd" },
    ],
    "files.get": [{ org }, { org, id: "$taskId" }, { org, id: "../f" }],
    "files.upload": [
      up,
      { ...up, name: "" },
      { ...up, name: "../evil.txt" },
      { ...up, name: "a\r\nb.txt" },
      { ...up, name: "x".repeat(256) },
      { ...up, targetId: "$clientId", name: "ok.txt" },
    ],
    "files.delete": [{ org }, { org, id: 42 }, { org, id: "$attachmentId'--" }],
  };
};

/** A small text file on the target's task, uploaded through the streaming route. */
export async function seedFiles(s: Seeding): Promise<void> {
  const org = s.target.slug;
  const qs = new URLSearchParams({ org, target: "task", id: s.target.taskId!, name: "seed notes.txt" });
  const res = await s.owner.raw("POST", `/api/files/upload?${qs}`, `Notes for ${org}\n`, {
    origin: s.owner.baseUrl,
    "content-type": "application/octet-stream",
  });
  const body = (await res.json()) as { file?: { id: string }; error?: unknown };
  if (res.status !== 201 || !body.file) throw new Error(`seeding ${org} file: ${res.status} ${JSON.stringify(body.error)}`);
  s.target.attachmentId = body.file.id;
}
