import { useSearchParams } from "@remix-run/react";
import { formatDateTime } from "~/lib/format";
import { eventLabel } from "~/lib/log-views";
import { LogPager } from "./log-filters";

export interface LoginHistoryPage {
  items: { id: number; at: number; event: string; ip: string | null; userAgent: string | null }[];
  nextCursor: number | null;
}

/** The account's own security log: sign-ins (and failed attempts), sign-outs, password and session changes. */
export function LoginHistory({ history }: { history: LoginHistoryPage }) {
  const [params] = useSearchParams();
  return (
    <section aria-labelledby="login-history">
      <h2 id="login-history">Login history</h2>
      <p className="muted">
        Sign-ins, failed attempts on your account and other security events, newest first. Something you do not recognise? Change your
        password and end your other sessions.
      </p>
      {history.items.length === 0 ? (
        <p className="muted">Nothing recorded yet.</p>
      ) : (
        <table className="log">
          <thead>
            <tr>
              <th>Time (UTC)</th>
              <th>Event</th>
              <th>IP</th>
              <th>Device</th>
            </tr>
          </thead>
          <tbody>
            {history.items.map((e) => (
              <tr key={e.id} className={e.event === "login.failure" || e.event === "login.throttled" ? "warn" : undefined}>
                <td className="nowrap">{formatDateTime(e.at)}</td>
                <td>{eventLabel(e.event)}</td>
                <td>{e.ip ?? "—"}</td>
                <td className="detail">{e.userAgent ?? "unknown"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LogPager params={params} param="history" nextCursor={history.nextCursor} keepScroll />
    </section>
  );
}
