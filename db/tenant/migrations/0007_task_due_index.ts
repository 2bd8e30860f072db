import { sql, type Kysely, type Migration } from "kysely";

/**
 * The task list across every project, filtered by status and sorted by due date (soonest first,
 * undated last), walks this index in list order and stops after a page: measured on 20,000 tasks
 * (npm run bench), the page query went from reading and sorting every task of the status
 * (about 4,000) to reading 50.
 */
export const migration0007: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`create index tasks_status_due on tasks (status_id, (due_date is null), due_date, priority desc, id)`.execute(db);
  },
};
