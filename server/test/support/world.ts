import type { Client } from "./client";
import { userWithOrg } from "./accounts";
import type { Instance } from "./instance";
import { seedTasks } from "./domains/tasks";
import { seedTime } from "./domains/time";
import { seedInvoices } from "./domains/invoices";
import { seedAccess } from "./domains/access";
import { seedWebhooks } from "./domains/webhooks";
import { seedFiles } from "./domains/files";
import { seedVault } from "./domains/vault";

/**
 * The ids of one organisation's rows that the suites aim at: a client, a project of it, and one row
 * of every other kind (added by each domain's seeder, e.g. `taskId`). Values are also what the
 * isolation suite looks for in answers that must not contain them.
 */
export interface Target {
  slug: string;
  clientId: string;
  projectId: string;
  [id: string]: string;
}

export interface Seeding {
  instance: Instance;
  owner: Client;
  tenantId: string;
  target: Target;
}

/** Domain seeders, in order: each adds its rows through the API and its ids to `target`. */
const seeders: ((s: Seeding) => Promise<void>)[] = [seedAccess, seedTasks, seedTime, seedInvoices, seedVault, seedFiles, seedWebhooks];

/** An organisation with its owner, one client and one project, made through the API. */
export async function orgWithProject(instance: Instance, slug: string) {
  const owner = await userWithOrg(instance, slug);
  const client = await owner.client.mutate("clients.create", {
    org: slug,
    name: `Client of ${slug}`,
    contactEmail: `billing@${slug}.test`,
  });
  const project = await owner.client.mutate("projects.create", {
    org: slug,
    clientId: client.data.id,
    name: `Project of ${slug}`,
    code: `${slug.slice(0, 3)}-1`,
  });
  if (project.status !== 200) throw new Error(`seeding ${slug}: ${JSON.stringify(project.error)}`);
  return { ...owner, clientId: client.data.id as string, projectId: project.data.id as string };
}

/** An organisation with an owner and one row of every kind, made through the API as users would. */
export async function orgWithData(instance: Instance, slug: string) {
  const { clientId, projectId, ...owner } = await orgWithProject(instance, slug);
  const target: Target = { slug, clientId, projectId };
  for (const seed of seeders) await seed({ instance, owner: owner.client, tenantId: owner.tenantId, target });
  return { ...owner, target };
}

/** Replaces "$key" strings in an input with target[key], so static case lists can name seeded rows. */
export function fillTarget(input: unknown, target: Target): unknown {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return input;
  return Object.fromEntries(
    Object.entries(input).map(([k, v]) => [k, typeof v === "string" && v.startsWith("$") && v.slice(1) in target ? target[v.slice(1)] : v]),
  );
}
