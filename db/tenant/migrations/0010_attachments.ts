import { sql, type Kysely, type Migration } from "kysely";

/**
 * File attachments on tasks, projects and invoices. The bytes live outside the database, encrypted,
 * in DATA_DIR/blobs/<tenant id>/<blob_name> (server/files/chunked.ts describes the format); a row
 * holds only what is needed to list, authorise and serve them. `project_id` is the project the
 * attachment is visible through (a task's project, or the project itself; null for an invoice).
 */
export const migration0010: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`create table attachments (
      id text primary key,
      target_type text not null check (target_type in ('task', 'project', 'invoice')),
      target_id text not null,
      project_id text,
      name text not null check (length(name) between 1 and 255),
      content_type text not null,
      size integer not null check (size >= 0),
      blob_name text not null unique,
      uploaded_by text,
      created_at integer not null,
      check ((target_type = 'invoice') = (project_id is null))
    )`.execute(db);
    await sql`create index attachments_target on attachments (target_type, target_id, created_at)`.execute(db);
  },
};
