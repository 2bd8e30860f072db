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
