import { sql, type Kysely } from "kysely";
import { compileOnce } from "../sqlite";
import { tenantDb } from "./context";
import type { ProjectRow, TenantDB } from "./schema";
import { currentAccess, projectVisible, type ProjectAccess } from "./visibility";

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

interface ListFilters {
  byClient: boolean;
  includeArchived: boolean;
  bySearch: boolean;
}

interface ListValues extends Omit<ProjectAccess, "clientId"> {
  contactClientId: string | null;
  clientId: string | undefined;
  search: string | undefined;
  limit: number;
  offset: number;
}

function compileList(filters: ListFilters) {
  return compileOnce((db: Kysely<TenantDB>, v: ListValues) => {
    let q = db
      .selectFrom("projects")
      .innerJoin("clients", "clients.id", "projects.client_id")
      .selectAll("projects")
      .select("clients.name as client_name")
      .orderBy("projects.name")
      .orderBy("projects.id")
      .limit(v.limit)
      .offset(v.offset)
      .where(projectVisible("projects.id", { seeAll: v.seeAll, userId: v.userId, role: v.role, clientId: v.contactClientId }));
    if (filters.byClient) q = q.where("projects.client_id", "=", v.clientId!);
    if (!filters.includeArchived) q = q.where("projects.archived_at", "is", null);
    if (filters.bySearch) q = q.where(sql<number>`instr(lower(projects.name), lower(${v.search}))`, ">", 0);
    return q;
  });
}

// The list is the most frequent read: one compiled statement per combination of filters (at most 8).
const listQueries = new Map<string, ReturnType<typeof compileList>>();

export function listProjects(opts: ProjectListOptions) {
  const filters = { byClient: !!opts.clientId, includeArchived: opts.includeArchived, bySearch: !!opts.search };
  const key = `${filters.byClient}/${filters.includeArchived}/${filters.bySearch}`;
  let query = listQueries.get(key);
  if (!query) listQueries.set(key, (query = compileList(filters)));
  const { clientId: contactClientId, ...access } = currentAccess();
  return query.execute(tenantDb(), {
    ...access,
    contactClientId,
    clientId: opts.clientId,
    search: opts.search,
    limit: opts.limit,
    offset: opts.offset,
  });
}

/** A project the caller may see, or undefined: a hidden project answers exactly like a missing one. */
export function findProject(id: string) {
  return tenantDb()
    .selectFrom("projects")
    .innerJoin("clients", "clients.id", "projects.client_id")
    .selectAll("projects")
    .select("clients.name as client_name")
    .where("projects.id", "=", id)
    .where(projectVisible("projects.id"))
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
    shared_space: 0,
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
