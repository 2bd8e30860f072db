import type Database from "better-sqlite3";
import { newId } from "../auth/tokens";

export interface LargeSizes {
  clients: number;
  projects: number;
  members: number;
  tasks: number;
  timeEntries: number;
}

export const LARGE: LargeSizes = { clients: 10, projects: 50, members: 50, tasks: 20_000, timeEntries: 200_000 };

/** A small deterministic generator, so two seeded files (and two bench runs) hold the same data. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400_000;

/**
 * Fills an organisation's file with an agency's worth of work, straight through better-sqlite3 in one
 * transaction (the API would take minutes for 200,000 entries; this is setup, not what is measured).
 * Members get tenant rows only: they exist to own time and tasks. Each member's entries follow one
 * another without overlapping, ending `now`, the way the time API would have accepted them.
 */
export function seedLargeOrg(db: Database.Database, ownerId: string, sizes: LargeSizes = LARGE, now = Date.now()) {
  const rnd = random(20_261_125);
  const pick = <T>(list: T[]) => list[Math.floor(rnd() * list.length)]!;
  const statuses = db.prepare("select id from workflow_statuses order by position").pluck().all() as string[];
  if (statuses.length === 0) throw new Error("no workflow statuses: is the tenant file migrated?");

  const insertClient = db.prepare(
    "insert into clients (id, name, contact_email, notes, archived_at, created_at, updated_at) values (?, ?, null, '', null, ?, ?)",
  );
  const insertProject = db.prepare(
    "insert into projects (id, client_id, name, code, status, hourly_rate, budget_seconds, archived_at, created_at, updated_at) values (?, ?, ?, ?, 'active', ?, ?, null, ?, ?)",
  );
  const insertMember = db.prepare("insert into members (user_id, role, name, email, joined_at) values (?, 'member', ?, ?, ?)");
  const insertTask = db.prepare(
    "insert into tasks (id, project_id, status_id, kind, title, description, priority, due_date, estimate_seconds, created_by, created_at, updated_at) values (?, ?, ?, 'task', ?, '', ?, ?, ?, ?, ?, ?)",
  );
  const insertAssignee = db.prepare("insert into task_assignees (task_id, user_id) values (?, ?)");
  const insertEntry = db.prepare(
    "insert into time_entries (id, member_id, project_id, task_id, started_at, ended_at, duration_seconds, note, billable, hourly_rate, invoice_id, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, '', ?, ?, null, ?, ?)",
  );

  const clientIds: string[] = [];
  const projects: { id: string; clientId: string; rate: number }[] = [];
  const members: string[] = [ownerId];
  const tasksByProject = new Map<string, string[]>();

  db.transaction(() => {
    for (let i = 0; i < sizes.clients; i++) {
      const id = newId("c");
      insertClient.run(id, `Large client ${i}`, now, now);
      clientIds.push(id);
    }
    for (let i = 0; i < sizes.projects; i++) {
      const id = newId("p");
      const clientId = clientIds[i % clientIds.length]!;
      const rate = 8_000 + Math.floor(rnd() * 12) * 500;
      insertProject.run(id, clientId, `Large project ${i}`, `LP-${i}`, rate, 2_000 * 3600, now, now);
      projects.push({ id, clientId, rate });
      tasksByProject.set(id, []);
    }
    for (let i = 1; i < sizes.members; i++) {
      const id = newId("u");
      insertMember.run(id, `Member ${i}`, `member${i}@large.test`, now);
      members.push(id);
    }
    for (let i = 0; i < sizes.tasks; i++) {
      const id = newId("k");
      const project = pick(projects);
      const created = now - Math.floor(rnd() * 365) * DAY;
      const due = rnd() < 0.7 ? new Date(created + Math.floor(rnd() * 60) * DAY).toISOString().slice(0, 10) : null;
      insertTask.run(
        id,
        project.id,
        pick(statuses),
        `Task ${i} of ${project.id.slice(-4)}`,
        Math.floor(rnd() * 4),
        due,
        rnd() < 0.5 ? 3600 * (1 + Math.floor(rnd() * 8)) : null,
        ownerId,
        created,
        created + Math.floor(rnd() * DAY),
      );
      insertAssignee.run(id, pick(members));
      tasksByProject.get(project.id)!.push(id);
    }
    const perMember = Math.ceil(sizes.timeEntries / members.length);
    let written = 0;
    for (const member of members) {
      // Walk backwards from now: each entry 15–60 minutes, 5 minutes apart.
      let end = now - 3_600_000;
      for (let i = 0; i < perMember && written < sizes.timeEntries; i++, written++) {
        const seconds = 900 + Math.floor(rnd() * 12) * 225;
        const start = end - seconds * 1000;
        const project = pick(projects);
        const tasks = tasksByProject.get(project.id)!;
        const taskId = tasks.length && rnd() < 0.8 ? pick(tasks) : null;
        insertEntry.run(newId("e"), member, project.id, taskId, start, end, seconds, rnd() < 0.85 ? 1 : 0, project.rate, end, end);
        end = start - 300_000;
      }
    }
  })();
  return { clientIds, projects, members };
}
