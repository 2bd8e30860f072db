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
  /** The permission the procedure declares: without it the answer must be a refusal. */
  needs: Permission;
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

function ids<T>(res: { status: number; data: T[] }, project: (row: T) => string): string[] | "forbidden" {
  if (res.status === 403) return "forbidden";
  if (res.status !== 200) throw new Error(`unexpected ${res.status}`);
  return [...new Set(res.data.map(project))];
}

export const readableProjectSets: { listers: Lister[]; seed?: (s: ListSeeding) => Promise<void> } = {
  listers: [
    {
      name: "projects.list",
      needs: "project.read",
      complete: true,
      read: async (client, { org }) => ids(await client.query("projects.list", { org, includeArchived: true }), (p: { id: string }) => p.id),
    },
  ],
};
