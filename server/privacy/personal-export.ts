import { sql, type Kysely } from "kysely";
import type { AttachmentsTable } from "../../db/tenant/files/attachments";
import type { TenantDB } from "../../db/tenant/schema";
import { NOT_SHARED, visibleProjectIds } from "../access/channel-rules";
import { memberView } from "../digest/member-access";
import type { Services } from "../services";
import { notFound } from "../trpc/errors";

/**
 * Bumped when a field changes meaning; readers of old exports can tell which shape they hold.
 * 2: names and titles of what the person cannot see now are placeholders, `titleAsWritten` added,
 * notes and descriptions of hidden projects' rows are null.
 */
export const PERSONAL_EXPORT_VERSION = 2;

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Everything opslayer holds about one person, as JSON (right of access / portability): the account,
 * memberships, sessions, login history, API token metadata, and per organisation what they wrote
 * themselves: tasks they created, comments, time entries, files they uploaded, and the actions the
 * audit log records them doing. Records are selected by author, not by what the person may see
 * today: a comment stays theirs after they lose access to its project.
 *
 * What surrounds those records (a project's name, a task's title and description) is someone else's
 * text, and follows the lists' rule (projectVisible, as the member's role sees it now): a project or
 * task they cannot see appears as NOT_SHARED, never by its current name. A task they created keeps
 * the title they typed (recorded with task.create), not the one it has today.
 *
 * Audit rows carry action, target, time, IP and browser but not their detail: a detail describes
 * the target (an invited colleague's address, a removed member's email), which is someone else's.
 */
export async function personalExport(services: Services, userId: string) {
  const { control, clock, pool } = services;
  const user = await control
    .selectFrom("users")
    .select(["id", "name", "email", "created_at", "email_verified_at", "is_staff", "deleted_at"])
    .where("id", "=", userId)
    .executeTakeFirst();
  if (!user || user.deleted_at !== null) throw notFound("Account");

  const memberships = await control
    .selectFrom("memberships")
    .innerJoin("tenants", "tenants.id", "memberships.tenant_id")
    .select(["tenants.id", "tenants.slug", "tenants.name", "tenants.status", "memberships.created_at"])
    .where("memberships.user_id", "=", userId)
    .where("tenants.status", "in", ["active", "closed"])
    .orderBy("tenants.slug")
    .execute();
  const sessions = await control
    .selectFrom("sessions")
    .select(["created_at", "last_seen_at", "expires_at", "ip", "user_agent"])
    .where("user_id", "=", userId)
    .orderBy("created_at")
    .execute();
  const history = await control
    .selectFrom("security_log")
    .select(["at", "event", "email", "ip", "user_agent", "detail"])
    .where((eb) =>
      eb.or([
        eb("user_id", "=", userId),
        eb.and([eb("user_id", "is", null), eb(eb.fn("lower", ["email"]), "=", user.email.toLowerCase())]),
      ]),
    )
    .orderBy("id")
    .execute();
  const tokens = await control
    .selectFrom("api_tokens")
    .innerJoin("tenants", "tenants.id", "api_tokens.tenant_id")
    .select([
      "tenants.slug",
      "api_tokens.name",
      "api_tokens.scopes",
      "api_tokens.created_at",
      "api_tokens.expires_at",
      "api_tokens.last_used_at",
      "api_tokens.revoked_at",
    ])
    .where("api_tokens.user_id", "=", userId)
    .orderBy("api_tokens.created_at")
    .execute();

  const organisations = [];
  for (const m of memberships) {
    const lease = await pool.acquire(m.id);
    try {
      organisations.push({ slug: m.slug, name: m.name, status: m.status, ...(await authoredIn(lease.db, userId)) });
    } finally {
      lease.release();
    }
  }

  return {
    format: "opslayer-personal-data",
    version: PERSONAL_EXPORT_VERSION,
    generatedAt: iso(clock.now()),
    account: {
      id: user.id,
      name: user.name,
      email: user.email,
      createdAt: iso(user.created_at),
      emailVerified: user.email_verified_at !== null,
      emailVerifiedAt: iso(user.email_verified_at),
      staff: user.is_staff === 1,
    },
    memberships: memberships.map((m) => ({ organisation: m.slug, name: m.name, status: m.status, joinedAt: iso(m.created_at) })),
    sessions: sessions.map((s) => ({
      createdAt: iso(s.created_at),
      lastSeenAt: iso(s.last_seen_at),
      expiresAt: iso(s.expires_at),
      ip: s.ip,
      userAgent: s.user_agent,
    })),
    loginHistory: history.map((h) => ({
      at: iso(h.at),
      event: h.event,
      email: h.email,
      ip: h.ip,
      userAgent: h.user_agent,
      detail: parseJson(h.detail),
    })),
    apiTokens: tokens.map((t) => ({
      organisation: t.slug,
      name: t.name,
      scopes: parseJson(t.scopes),
      createdAt: iso(t.created_at),
      expiresAt: iso(t.expires_at),
      lastUsedAt: iso(t.last_used_at),
      revokedAt: iso(t.revoked_at),
    })),
    organisations,
  };
}

export type PersonalExport = Awaited<ReturnType<typeof personalExport>>;

async function authoredIn(db: Kysely<TenantDB>, userId: string) {
  const member = await db
    .selectFrom("members")
    .select(["name", "email", "role", "joined_at"])
    .where("user_id", "=", userId)
    .executeTakeFirst();
  const view = await memberView(db, userId);
  const visible = view ? await visibleProjectIds(db, view.access) : new Set<string>();
  const sees = (projectId: string) => visible.has(projectId);
  const tasks = await db
    .selectFrom("tasks")
    .innerJoin("projects", "projects.id", "tasks.project_id")
    .select([
      "tasks.id",
      "tasks.kind",
      "tasks.title",
      "tasks.description",
      "tasks.project_id",
      "projects.name as project",
      "tasks.created_at",
      "tasks.updated_at",
    ])
    // The title as they typed it, from their own task.create row (null where it was never recorded).
    .select((eb) =>
      eb
        .selectFrom("audit_log")
        .select(sql<string | null>`json_extract(audit_log.detail, '$.title')`.as("t"))
        .where("audit_log.action", "=", "task.create")
        .where("audit_log.actor_id", "=", userId)
        .whereRef("audit_log.target_id", "=", "tasks.id")
        .limit(1)
        .as("written_title"),
    )
    .where("tasks.created_by", "=", userId)
    .orderBy("tasks.created_at")
    .execute();
  const comments = await db
    .selectFrom("comments")
    .innerJoin("tasks", "tasks.id", "comments.task_id")
    .select([
      "comments.id",
      "comments.task_id",
      "tasks.project_id",
      "tasks.title as task",
      "comments.body",
      "comments.created_at",
      "comments.edited_at",
    ])
    .where("comments.author_id", "=", userId)
    .orderBy("comments.created_at")
    .execute();
  const time = await db
    .selectFrom("time_entries")
    .innerJoin("projects", "projects.id", "time_entries.project_id")
    .select([
      "time_entries.id",
      "time_entries.project_id",
      "projects.name as project",
      "time_entries.task_id",
      "time_entries.started_at",
      "time_entries.ended_at",
      "time_entries.duration_seconds",
      "time_entries.note",
      "time_entries.billable",
    ])
    .where("time_entries.member_id", "=", userId)
    .orderBy("time_entries.started_at")
    .execute();
  const files = await (db as unknown as Kysely<{ attachments: AttachmentsTable }>)
    .selectFrom("attachments")
    .select(["id", "name", "content_type", "size", "target_type", "target_id", "created_at"])
    .where("uploaded_by", "=", userId)
    .orderBy("created_at")
    .execute();
  const actions = await db
    .selectFrom("audit_log")
    .select(["at", "actor_kind", "action", "target_type", "target_id", "ip", "user_agent"])
    .where("actor_id", "=", userId)
    .orderBy("id")
    .execute();
  return {
    member: member ? { name: member.name, email: member.email, role: member.role, joinedAt: iso(member.joined_at) } : null,
    tasksCreated: tasks.map((t) =>
      sees(t.project_id)
        ? {
            id: t.id,
            kind: t.kind,
            title: t.title,
            titleAsWritten: t.written_title ?? null,
            description: t.description,
            project: t.project,
            createdAt: iso(t.created_at),
            updatedAt: iso(t.updated_at),
          }
        : {
            id: t.id,
            kind: t.kind,
            title: NOT_SHARED.task,
            titleAsWritten: t.written_title ?? null,
            // Today's description may be anyone's rewrite, and the one they typed is not kept.
            description: null,
            project: NOT_SHARED.project,
            createdAt: iso(t.created_at),
            updatedAt: null,
          },
    ),
    comments: comments.map((c) => ({
      id: c.id,
      taskId: c.task_id,
      task: sees(c.project_id) ? c.task : NOT_SHARED.task,
      body: c.body,
      createdAt: iso(c.created_at),
      editedAt: iso(c.edited_at),
    })),
    // Time logged for them is about them wherever it was logged: when and how long stay. In a project
    // they cannot see, the project's name goes, and so does the note: it describes that project's
    // work, and entries do not record who wrote it (the owner may have logged it for them).
    timeEntries: time.map((e) => ({
      id: e.id,
      project: sees(e.project_id) ? e.project : NOT_SHARED.project,
      taskId: sees(e.project_id) ? e.task_id : null,
      startedAt: iso(e.started_at),
      endedAt: iso(e.ended_at),
      durationSeconds: e.duration_seconds,
      note: sees(e.project_id) ? e.note : null,
      billable: e.billable === 1,
    })),
    files: files.map((f) => ({
      id: f.id,
      name: f.name,
      contentType: f.content_type,
      size: f.size,
      attachedTo: `${f.target_type}:${f.target_id}`,
      uploadedAt: iso(f.created_at),
    })),
    auditActions: actions.map((a) => ({
      at: iso(a.at),
      via: a.actor_kind,
      action: a.action,
      targetType: a.target_type,
      targetId: a.target_id,
      ip: a.ip,
      userAgent: a.user_agent,
    })),
  };
}
