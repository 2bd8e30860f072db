import type { ReactNode } from "react";
import { PRIORITY_LABEL, type Priority } from "~/lib/tasks";

/** Small pieces the task list, board and detail pages share. */

export function StatusBadge({ status }: { status: { name: string; color: string } }) {
  return (
    <span className="nowrap">
      <span
        aria-hidden
        style={{ display: "inline-block", width: 10, height: 10, borderRadius: 5, background: status.color, marginRight: 6 }}
      />
      {status.name}
    </span>
  );
}

const PRIORITY_COLOR: Record<Priority, string> = { low: "#5d6778", normal: "#1c2330", high: "#b26a00", urgent: "#b3261e" };

export function PriorityBadge({ priority }: { priority: Priority }) {
  return (
    <span style={{ color: PRIORITY_COLOR[priority], fontWeight: priority === "urgent" ? 700 : undefined }}>{PRIORITY_LABEL[priority]}</span>
  );
}

export function LabelChips({ labels }: { labels: { id: string; name: string; color: string }[] }) {
  if (labels.length === 0) return null;
  return (
    <span>
      {labels.map((l) => (
        <span
          key={l.id}
          style={{ border: `1px solid ${l.color}`, color: l.color, borderRadius: 10, padding: "0 8px", marginRight: 4, fontSize: "0.8rem" }}
        >
          {l.name}
        </span>
      ))}
    </span>
  );
}

export function People({ people }: { people: { userId: string; name: string }[] }) {
  return <>{people.length ? people.map((p) => p.name).join(", ") : <span className="muted">Unassigned</span>}</>;
}

/**
 * HTML rendered by the server's markdown module (server/text/markdown.ts: raw HTML escaped, links
 * limited to http/https/mailto, no images). Only that output may be passed here.
 */
export function RenderedMarkdown({ html, empty }: { html: string; empty?: ReactNode }) {
  if (!html.trim()) return <>{empty ?? null}</>;
  return <div className="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}
