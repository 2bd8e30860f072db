import { useFetcher, useLocation } from "@remix-run/react";
import { useEffect, useState } from "react";

export interface RunningTimer {
  id: string;
  project_name: string | null;
  note: string;
  started_at: number;
}

/** "1:05:09": hours are not capped, a timer left running over the weekend shows 60-something hours. */
export function formatElapsed(ms: number) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** The running timer in the organisation header: ticks in the browser, stops through the timer route. */
export function TimerWidget({ slug, timer }: { slug: string; timer: RunningTimer | null }) {
  const fetcher = useFetcher<{ ok: false; message: string }>();
  const location = useLocation();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!timer) return;
    setNow(Date.now());
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(tick);
  }, [timer]);
  if (!timer) return null;
  const label = timer.project_name ?? "a project no longer shared with you";
  return (
    <fetcher.Form
      method="post"
      action={`/o/${slug}/time/timer`}
      style={{ marginLeft: "auto", display: "flex", gap: 8, alignItems: "center" }}
      aria-label="Running timer"
    >
      <span title={timer.note || undefined}>
        ● {label} {/* The server renders its own "now"; the browser's differs by the time it takes to arrive. */}
        <strong suppressHydrationWarning>{formatElapsed(now - timer.started_at)}</strong>
      </span>
      <input type="hidden" name="intent" value="stop" />
      <input type="hidden" name="redirectTo" value={location.pathname + location.search} />
      <button type="submit" className="secondary" disabled={fetcher.state !== "idle"}>
        Stop
      </button>
      {fetcher.data && !fetcher.data.ok && <span className="field-error">{fetcher.data.message}</span>}
    </fetcher.Form>
  );
}
