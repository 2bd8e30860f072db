import type { Kysely } from "kysely";
import type { TenantDB } from "../../db/tenant/schema";
import { clientVisible, projectVisible, type ProjectAccess } from "../../db/tenant/visibility";
import type { Permission } from "../permissions/catalogue";

/** Whose sight: a member's current permissions and project access (memberView, or a request's ctx). */
export interface Viewer {
  userId: string;
  permissions: ReadonlySet<Permission>;
  access: ProjectAccess;
}

/** The objects a channel may carry out of the server, with what the rule needs to know of each. */
export type VisibleObject =
  | { kind: "task"; projectId: string }
  | { kind: "time_entry"; projectId: string; memberId: string }
  | { kind: "invoice"; clientId: string }
  | { kind: "member" };

/** Fields a viewer may not see on an object they can see, by the lists' per-field rules. */
export type HiddenField = "rates";

export type Visibility = { visible: true; hiddenFields: HiddenField[] } | { visible: false; reason: string };

export const NOT_SHARED = "about a project not shared with you";

/** Rates and amounts of time, as time.list shows them (time-rules canSeeRates). */
export const seesRates = (v: Pick<Viewer, "permissions">) =>
  v.permissions.has("project.rates.view") || v.permissions.has("time.rates.manage");

/**
 * The lists' visibility rule for one object, for channels that carry objects outside a request:
 * webhooks and their delivery log today, and any other channel that knows whose sight it serves.
 * The permission a procedure declares to show the object comes first, then sharing (projectVisible,
 * clientVisible, own time), then the per-field rules. It reads the tenant file now, so a share
 * withdrawn or a role changed applies to the next call.
 */
export async function visibleTo(db: Kysely<TenantDB>, viewer: Viewer, object: VisibleObject): Promise<Visibility> {
  const needs = (p: Permission): Visibility => ({ visible: false, reason: `needs ${p}` });
  const can = (p: Permission) => viewer.permissions.has(p);
  switch (object.kind) {
    case "task":
      if (!can("task.read")) return needs("task.read");
      if (!(await projectSeen(db, viewer.access, object.projectId))) return { visible: false, reason: NOT_SHARED };
      return { visible: true, hiddenFields: [] };
    case "time_entry": {
      const own = object.memberId === viewer.userId;
      if (!can("time.read.all") && !(own && can("time.read.own"))) return needs(own ? "time.read.own" : "time.read.all");
      if (!(await projectSeen(db, viewer.access, object.projectId))) return { visible: false, reason: NOT_SHARED };
      return { visible: true, hiddenFields: seesRates(viewer) ? [] : ["rates"] };
    }
    case "invoice": {
      if (!can("invoice.read")) return needs("invoice.read");
      const row = await db
        .selectFrom("clients")
        .select("id")
        .where("id", "=", object.clientId)
        .where(clientVisible("clients.id", viewer.access))
        .executeTakeFirst();
      if (!row) return { visible: false, reason: "about a client that is not yours" };
      return { visible: true, hiddenFields: [] };
    }
    case "member":
      return can("member.read") ? { visible: true, hiddenFields: [] } : needs("member.read");
  }
}

async function projectSeen(db: Kysely<TenantDB>, access: ProjectAccess, projectId: string) {
  const row = await db
    .selectFrom("projects")
    .select("id")
    .where("id", "=", projectId)
    .where(projectVisible("projects.id", access))
    .executeTakeFirst();
  return row !== undefined;
}
