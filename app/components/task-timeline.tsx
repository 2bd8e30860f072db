import { formatDateTime } from "~/lib/format";
import { describeActivity } from "~/lib/tasks";

interface Entry {
  id: number;
  at: number;
  actorName: string | null;
  actorKind: string;
  action: string;
  detail: Record<string, unknown>;
}

/** Who did what, newest first, from the organisation's audit log. */
export function TaskTimeline({ entries }: { entries: Entry[] }) {
  return (
    <section aria-label="Activity">
      <h2>Activity</h2>
      {entries.length === 0 ? (
        <p className="muted">Nothing yet.</p>
      ) : (
        <ul>
          {entries.map((e) => (
            <li key={e.id}>
              <span className="muted">{formatDateTime(e.at)}</span> · {e.actorKind === "support" ? "Support" : (e.actorName ?? "Someone")}{" "}
              {describeActivity(e)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
