import type { Migration } from "kysely";
import { migration0001 } from "./0001_members_clients_projects_audit";
import { migration0002 } from "./0002_access_control";
import { migration0004 } from "./0004_time";

/** Applied in name order. A released migration is never edited; changes are new entries. */
export const tenantMigrations: Record<string, Migration> = {
  "0001_members_clients_projects_audit": migration0001,
  "0002_access_control": migration0002,
  "0004_time": migration0004,
};
