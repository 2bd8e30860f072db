import type { Kysely } from "kysely";
import type { TenantDB } from "../../db/tenant/schema";
import { visibleTo, type HiddenField, type Viewer, type VisibleObject } from "../access/visible-to";

type Data = Record<string, unknown>;
const obj = (v: unknown): Data => (v && typeof v === "object" ? (v as Data) : {});
const str = (v: unknown) => (typeof v === "string" ? v : "");

/** What an event is about, read from its stored data (each emitEvent call's shape). */
function objectOf(event: string, data: Data): { object: VisibleObject; key: string } | null {
  switch (event) {
    case "task.created":
    case "task.status_changed":
      return { key: "task", object: { kind: "task", projectId: str(obj(data.task).project_id) } };
    case "time_entry.created": {
      const e = obj(data.time_entry);
      return { key: "time_entry", object: { kind: "time_entry", projectId: str(e.project_id), memberId: str(e.member_id) } };
    }
    case "invoice.issued":
    case "invoice.paid":
      return { key: "invoice", object: { kind: "invoice", clientId: str(obj(data.invoice).client_id) } };
    case "member.joined":
      return { key: "member", object: { kind: "member" } };
    default:
      return null;
  }
}

/** The fields each per-field rule removes, by the object's key in the event data. */
const FIELDS: Record<HiddenField, Record<string, string[]>> = {
  rates: { time_entry: ["hourly_rate", "amount"] },
};

export type Scoped = { send: true; data: Data } | { send: false; reason: string };

/**
 * An event's data as `viewer` may see it now: not at all (with the reason), or without the fields
 * their permissions hide. The dispatcher calls it with the webhook's owner before each send, the
 * delivery log with whoever reads it. An event this does not know is not sent: a new event must
 * say what it is about before it leaves the server.
 */
export async function scopeEvent(db: Kysely<TenantDB>, viewer: Viewer, event: string, data: Data): Promise<Scoped> {
  const about = objectOf(event, data);
  if (!about) return { send: false, reason: `no visibility rule for the event ${event}` };
  const seen = await visibleTo(db, viewer, about.object);
  if (!seen.visible) return { send: false, reason: seen.reason };
  let out = data;
  for (const field of seen.hiddenFields) {
    const drop = FIELDS[field][about.key] ?? [];
    if (drop.length === 0) continue;
    const inner = { ...obj(out[about.key]) };
    for (const f of drop) delete inner[f];
    out = { ...out, [about.key]: inner };
  }
  return { send: true, data: out };
}
