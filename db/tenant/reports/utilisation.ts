import { tenantDb } from "../context";
import { scopedEntryRows, total, BILLABLE_SECONDS, SECONDS, type ReportScope } from "./scope";

export interface UtilisationRow {
  memberId: string;
  name: string;
  trackedSeconds: number;
  billableSeconds: number;
  /** Billable share of tracked time, 0..1; null when nothing was tracked. */
  billableRatio: number | null;
}

/**
 * Tracked and billable time per member in the range. Members come from the members table (client
 * contacts left out, unless they tracked time); a removed member's time still shows, as a former member.
 * A caller restricted to their own time sees their own row only.
 */
export async function utilisationReport(scope: ReportScope): Promise<UtilisationRow[]> {
  const sums = await scopedEntryRows(scope)
    .select(["time_entries.member_id", total(SECONDS).as("seconds"), total(BILLABLE_SECONDS).as("billable_seconds")])
    .groupBy("time_entries.member_id")
    .execute();
  const only = scope.ownMemberId ?? scope.memberId;
  let members = tenantDb().selectFrom("members").select(["user_id", "name", "client_id"]);
  if (only !== undefined) members = members.where("user_id", "=", only);
  const people = await members.execute();
  const byId = new Map(sums.map((s) => [s.member_id, s]));
  const rows: UtilisationRow[] = [];
  const add = (memberId: string, name: string) => {
    const s = byId.get(memberId);
    const tracked = Number(s?.seconds ?? 0);
    const billable = Number(s?.billable_seconds ?? 0);
    rows.push({
      memberId,
      name,
      trackedSeconds: tracked,
      billableSeconds: billable,
      billableRatio: tracked > 0 ? billable / tracked : null,
    });
  };
  for (const p of people) if (p.client_id === null || byId.has(p.user_id)) add(p.user_id, p.name);
  const known = new Set(people.map((p) => p.user_id));
  for (const s of sums) if (!known.has(s.member_id)) add(s.member_id, "Former member");
  return rows.sort((a, b) => a.name.localeCompare(b.name) || a.memberId.localeCompare(b.memberId));
}
