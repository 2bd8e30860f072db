import { sql } from "kysely";
import { tenantDb } from "./context";
import type { ProjectRow } from "./schema";

export interface ProjectFields {
  clientId: string;
  name: string;
  code: string | null;
  status: ProjectRow["status"];
  hourlyRate: number;
  budgetSeconds: number | null;
}

export interface ProjectListOptions {
  clientId?: string;
  includeArchived: boolean;
  search?: string;
  limit: number;
  offset: number;
}

export function listProjects(opts: ProjectListOptions) {
  let q = tenantDb()
    .selectFrom("projects")
    .innerJoin("clients", "clients.id", "projects.client_id")
    .selectAll("projects")
    .select("clients.name as client_name")
    .orderBy("projects.name")
    .orderBy("projects.id")
    .limit(opts.limit)
    .offset(opts.offset);
  if (opts.clientId) q = q.where("projects.client_id", "=", opts.clientId);
  if (!opts.includeArchived) q = q.where("projects.archived_at", "is", null);
  if (opts.search) q = q.where(sql<number>`instr(lower(projects.name), lower(${opts.search}))`, ">", 0);
  return q.execute();
}

export function findProject(id: string) {
  return tenantDb()
    .selectFrom("projects")
    .innerJoin("clients", "clients.id", "projects.client_id")
    .selectAll("projects")
    .select("clients.name as client_name")
    .where("projects.id", "=", id)
    .executeTakeFirst();
}

export async function insertProject(id: string, f: ProjectFields, now: number): Promise<ProjectRow> {
  const row: ProjectRow = {
    id,
    client_id: f.clientId,
    name: f.name,
    code: f.code,
    status: f.status,
    hourly_rate: f.hourlyRate,
    budget_seconds: f.budgetSeconds,
    archived_at: null,
    created_at: now,
    updated_at: now,
  };
  await tenantDb().insertInto("projects").values(row).execute();
  return row;
}

export async function updateProject(id: string, f: Partial<ProjectFields>, now: number) {
  await tenantDb()
    .updateTable("projects")
    .set({
      ...(f.clientId !== undefined && { client_id: f.clientId }),
      ...(f.name !== undefined && { name: f.name }),
      ...(f.code !== undefined && { code: f.code }),
      ...(f.status !== undefined && { status: f.status }),
      ...(f.hourlyRate !== undefined && { hourly_rate: f.hourlyRate }),
      ...(f.budgetSeconds !== undefined && { budget_seconds: f.budgetSeconds }),
      updated_at: now,
    })
    .where("id", "=", id)
    .execute();
}

export async function setProjectArchived(id: string, archivedAt: number | null, now: number) {
  await tenantDb().updateTable("projects").set({ archived_at: archivedAt, updated_at: now }).where("id", "=", id).execute();
}
