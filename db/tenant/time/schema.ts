import type { Selectable } from "kysely";

export interface TimeEntriesTable {
  id: string;
  member_id: string;
  project_id: string;
  task_id: string | null;
  /** Integer ms, UTC. */
  started_at: number;
  /** Null while the timer runs. */
  ended_at: number | null;
  duration_seconds: number;
  note: string;
  billable: number;
  /** Minor units per hour, resolved when the entry was written. */
  hourly_rate: number;
  /** Set once invoiced; the entry is locked from then on. */
  invoice_id: string | null;
  created_at: number;
  updated_at: number;
  /** Set (migration 0017) on a finished entry that does not end after it starts, for the organisation to fix. */
  problem: string | null;
}

export interface MemberRatesTable {
  member_id: string;
  /** Null: the member's default rate. */
  project_id: string | null;
  hourly_rate: number;
  updated_at: number;
}

export interface TimeTables {
  time_entries: TimeEntriesTable;
  member_rates: MemberRatesTable;
}

export type TimeEntryRow = Selectable<TimeEntriesTable>;
