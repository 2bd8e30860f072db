import { useEffect, useState, type ReactNode } from "react";

/**
 * Recharts measures the DOM, so a chart is drawn in the browser only, after mount; the server
 * sends an empty box of the same height, so the page does not jump when it appears.
 */
export function ChartFrame({ height, label, children }: { height: number; label: string; children: () => ReactNode }) {
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  return (
    <div role="img" aria-label={label} className="chart" style={{ width: "100%", height }}>
      {mounted ? children() : null}
    </div>
  );
}

export const CHART_COLOURS = { hours: "#2f5bd3", billable: "#2e9d6a", over: "#b3261e", budget: "#8a94a6" } as const;

/** Seconds as hours with two decimals, for chart values. */
export const toHours = (seconds: number) => Math.round(seconds / 36) / 100;
