import type { Permission } from "../../permissions/catalogue";
import type { Client } from "./client";
import type { Instance } from "./instance";

export interface ListContext {
  org: string;
  projects: { id: string; clientId: string; name: string }[];
  permissions: ReadonlySet<Permission>;
}

/** One way of reading project-bound data; the property suite checks each against the sharing rule. */
export interface Lister {
  name: string;
  /** The permissions the procedure requires: without any of them the answer must be a refusal. */
  needs: Permission[];
  /** True when the seeded data puts a row of this kind in every project, so nothing visible may be missing. */
  complete: boolean;
  read(client: Client, ctx: ListContext): Promise<string[] | "forbidden">;
}

export interface ListSeeding {
  instance: Instance;
  owner: Client;
  tenantId: string;
  org: string;
  projects: ListContext["projects"];
  viewerId: string;
}

/**
 * Which of the projects an answer mentions, by id (or by name, for CSV), wherever in the body: the
 * check does not depend on the answer's shape, so it also catches a project leaking through a nested
 * field or a total's label.
 */
async function mentioned(res: Promise<{ status: number; data: unknown }>, projects: ListContext["projects"], by: "id" | "name" = "id") {
  const r = await res;
  if (r.status === 403) return "forbidden" as const;
  if (r.status !== 200) throw new Error(`unexpected ${r.status}: ${JSON.stringify(r.data)}`);
  if (by === "name") {
    // The seeded names hold no comma or quote, so a plain split finds every cell.
    const cells = new Set(
      String((r.data as { content: unknown }).content)
        .split(/\r?\n/)
        .flatMap((line) => line.split(",")),
    );
    return projects.filter((p) => cells.has(p.name)).map((p) => p.id);
  }
  const body = JSON.stringify(r.data);
  return projects.filter((p) => body.includes(p.id)).map((p) => p.id);
}

const DAY = 86_400_000;
const localDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** The seeded entries lie in the last hours; a 30-day range around now holds them whatever the date. */
const range = () => ({ from: localDate(Date.now() - 30 * DAY), to: localDate(Date.now() + DAY) });

/**
 * Every list, report and export that answers about many projects. Seeding puts one task and one
 * finished billable entry of the viewer in every project, so each of these is "complete": it must
 * show every visible project and no hidden one.
 */
export const readableProjectSets: { listers: Lister[]; seed: (s: ListSeeding) => Promise<void> } = {
  listers: [
    {
      name: "projects.list",
      needs: ["project.read"],
      complete: true,
      read: (c, { org, projects }) => mentioned(c.query("projects.list", { org, includeArchived: true }), projects),
    },
    {
      name: "tasks.list",
      needs: ["task.read"],
      complete: true,
      read: (c, { org, projects }) => mentioned(c.query("tasks.list", { org, limit: 200 }), projects),
    },
    {
      name: "tasks.board",
      needs: ["task.read"],
      complete: true,
      read: (c, { org, projects }) => mentioned(c.query("tasks.board", { org }), projects),
    },
    {
      name: "time.list",
      needs: ["time.read.own"],
      complete: true,
      read: (c, { org, projects }) => mentioned(c.query("time.list", { org, ...range() }), projects),
    },
    {
      name: "reports.hours",
      needs: ["report.view"],
      complete: true,
      read: (c, { org, projects }) => mentioned(c.query("reports.hours", { org, ...range(), groupBy: "project" }), projects),
    },
    {
      name: "reports.unbilled",
      needs: ["report.view"],
      complete: true,
      read: (c, { org, projects }) => mentioned(c.query("reports.unbilled", { org }), projects),
    },
    {
      name: "reports.export (CSV)",
      needs: ["report.export", "report.view"],
      complete: true,
      read: (c, { org, projects }) =>
        mentioned(c.query("reports.export", { org, report: "hours", groupBy: "project", ...range() }), projects, "name"),
    },
  ],

  async seed({ instance, owner, tenantId, org, projects, viewerId }) {
    for (const p of projects) {
      const task = await owner.mutate("tasks.create", { org, projectId: p.id, title: `Task in ${p.name}` });
      if (task.status !== 200) throw new Error(`seed task: ${JSON.stringify(task.error)}`);
    }
    // The viewer's own finished entries, one per project, back to back in the last hours.
    const lease = await instance.services.pool.acquire(tenantId);
    try {
      const end = Date.now() - 3_600_000;
      await lease.db
        .insertInto("time_entries")
        .values(
          projects.map((p, i) => ({
            id: `e${String(i).padStart(24, "a")}`,
            member_id: viewerId,
            project_id: p.id,
            task_id: null,
            started_at: end - (i + 1) * 600_000,
            ended_at: end - (i + 1) * 600_000 + 300_000,
            duration_seconds: 300,
            note: "",
            billable: 1,
            hourly_rate: 10_000,
            invoice_id: null,
            created_at: end,
            updated_at: end,
          })),
        )
        .execute();
    } finally {
      lease.release();
    }
  },
};
