export { formatMoney } from "./money";

export function formatHours(seconds: number | null) {
  if (seconds === null) return "—";
  return `${(seconds / 3600).toLocaleString("en", { maximumFractionDigits: 2 })} h`;
}

export function formatDateTime(ms: number) {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

export const PROJECT_STATUS_LABEL = {
  planned: "Planned",
  active: "Active",
  on_hold: "On hold",
  completed: "Completed",
} as const;

/** Today's calendar date ("2026-11-25") in a time zone: the organisation's day, not the server's. */
export function todayIn(timeZone: string, now = new Date()) {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}
