import { parseArgs } from "node:util";
import type { Services } from "../services";

export async function listOrgs(services: Services, args: string[]) {
  const { values } = parseArgs({ args, options: { json: { type: "boolean" } } });
  const { control } = services;
  const rows = await control
    .selectFrom("tenants")
    .leftJoin("memberships", "memberships.tenant_id", "tenants.id")
    .select(["tenants.id", "tenants.slug", "tenants.name", "tenants.status", "tenants.created_at", control.fn.count<number>("memberships.user_id").as("members")])
    .groupBy("tenants.id")
    .orderBy("tenants.slug")
    .execute();
  if (values.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  if (rows.length === 0) {
    console.log("No organisations.");
    return;
  }
  console.table(rows.map((r) => ({ slug: r.slug, name: r.name, status: r.status, members: r.members, id: r.id, created: new Date(r.created_at).toISOString() })));
}
