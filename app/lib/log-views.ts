/** Shared by the audit log, the platform security log and the login history: URL ⇄ filter, labels. */

/** The filters in the URL (GET form), without empty fields; `from`/`to` of digits only are ms. */
export function filtersFromParams<K extends string>(params: URLSearchParams, keys: readonly K[]) {
  const out: Partial<Record<K, string | number>> = {};
  for (const key of keys) {
    const value = params.get(key)?.trim();
    if (!value) continue;
    out[key] = (key === "from" || key === "to") && /^\d{1,16}$/.test(value) ? Number(value) : value;
  }
  return out;
}

/** The page after this one: the same filters with the cursor moved. */
export function withParam(params: URLSearchParams, key: string, value: string | number | null) {
  const next = new URLSearchParams(params);
  if (value === null) next.delete(key);
  else next.set(key, String(value));
  const qs = next.toString();
  return qs ? `?${qs}` : "?";
}

/** Cursor from the URL, or undefined when absent or not a positive integer. */
export function cursorParam(params: URLSearchParams, key: string) {
  const raw = params.get(key);
  if (!raw || !/^\d{1,15}$/.test(raw)) return undefined;
  const n = Number(raw);
  return n >= 1 ? n : undefined;
}

/** `{ name: "Acme", fields: ["notes"] }` → `name: Acme · fields: ["notes"]`. */
export function formatDetail(detail: Record<string, unknown>) {
  return Object.entries(detail)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" · ");
}

export const SECURITY_EVENT_LABEL: Record<string, string> = {
  "login.success": "Signed in",
  "login.failure": "Failed sign-in",
  "login.throttled": "Sign-in blocked (too many attempts)",
  logout: "Signed out",
  signup: "Account created",
  "email.verified": "Email confirmed",
  "password.changed": "Password changed",
  "password.reset_requested": "Password reset requested",
  "password.reset": "Password reset",
  "session.revoked": "Session ended",
  "setup.operator_created": "Operator account created",
  "support.grant_created": "Support access granted",
  "support.grant_redeemed": "Support link used",
  "support.grant_revoked": "Support access revoked",
  "support.grant_expired": "Support access expired",
  "support.redeem_refused": "Support link refused",
  "support.session_ended": "Support session ended",
};

export function eventLabel(event: string) {
  return SECURITY_EVENT_LABEL[event] ?? event;
}
