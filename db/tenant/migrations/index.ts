import type { Migration } from "kysely";
import { migration0001 } from "./0001_members_clients_projects_audit";
import { migration0002 } from "./0002_access_control";
import { migration0003 } from "./0003_tasks";
import { migration0004 } from "./0004_time";
import { migration0005 } from "./0005_invoices";
import { migration0006 } from "./0006_report_indexes";
import { migration0007 } from "./0007_task_due_index";
import { migration0008 } from "./0008_vault";
import { migration0009 } from "./0009_webhooks";
import { migration0010 } from "./0010_attachments";
import { migration0011 } from "./0011_privacy_ops";
import { migration0012 } from "./0012_attachment_targets";
import { migration0013 } from "./0013_audit_forget_origin";
import { migration0014 } from "./0014_webhook_owners";
import { migration0015 } from "./0015_audit_actor_index";
import { migration0016 } from "./0016_rate_scale_review";
import { migration0017 } from "./0017_time_entries_positive";

/** Applied in name order. A released migration is never edited; changes are new entries. */
export const tenantMigrations: Record<string, Migration> = {
  "0001_members_clients_projects_audit": migration0001,
  "0002_access_control": migration0002,
  "0003_tasks": migration0003,
  "0004_time": migration0004,
  "0005_invoices": migration0005,
  "0006_report_indexes": migration0006,
  "0007_task_due_index": migration0007,
  "0008_vault": migration0008,
  "0009_webhooks": migration0009,
  "0010_attachments": migration0010,
  "0011_privacy_ops": migration0011,
  "0012_attachment_targets": migration0012,
  "0013_audit_forget_origin": migration0013,
  "0014_webhook_owners": migration0014,
  "0015_audit_actor_index": migration0015,
  "0016_rate_scale_review": migration0016,
  "0017_time_entries_positive": migration0017,
};
