import type { AppLoadContext } from "@remix-run/node";
import { attempt } from "./api.server";
import { ifAllowed } from "./permissions.server";

type Api = AppLoadContext["api"];

/** Null when the viewer may not share the project: the page then leaves the sharing section out. */
export async function loadSharing(api: Api, org: string, projectId: string) {
  const sharing = await ifAllowed(() => api.sharing.get({ org, projectId }));
  if (!sharing) return null;
  const [members, roles] = await Promise.all([ifAllowed(() => api.members.list({ org })), ifAllowed(() => api.roles.list({ org }))]);
  const roleNames = new Map((roles ?? []).map((r) => [r.id, r.name]));
  return {
    ...sharing,
    // A built-in role's share comes back labelled with its key; show the role's name instead.
    shares: sharing.shares.map((s) => (s.kind === "role" ? { ...s, label: roleNames.get(s.id) ?? s.label } : s)),
    members: (members ?? []).map((m) => ({ id: m.userId, name: m.name, email: m.email })),
    roles: (roles ?? []).map((r) => ({ id: r.id, name: r.name })),
  };
}

export type SharingData = NonNullable<Awaited<ReturnType<typeof loadSharing>>>;

const KINDS = ["member", "role", "client"] as const;

function subjectOf(kind: string | undefined, id: string | undefined) {
  const k = KINDS.find((x) => x === kind);
  return k ? { kind: k, id: id ?? "" } : null;
}

/** The sharing section's three forms post to the project page; their intents start with "sharing.". */
export async function sharingAction(request: Request, api: Api, org: string, projectId: string, f: Record<string, string>) {
  if (f.intent === "sharing.space") {
    return {
      intent: "sharing" as const,
      ...(await attempt(request, () => api.sharing.setSharedSpace({ org, projectId, shared: f.shared === "1" }))),
    };
  }
  // "Share with" is one select whose values read "kind:id".
  const [kind, id] = f.intent === "sharing.add" ? (f.subject ?? "").split(":") : [f.kind, f.id];
  const subject = subjectOf(kind, id);
  if (!subject)
    return { intent: "sharing" as const, ok: false as const, message: "Choose whom to share the project with.", fieldErrors: {} };
  const call = f.intent === "sharing.add" ? api.sharing.add : api.sharing.remove;
  return { intent: "sharing" as const, ...(await attempt(request, () => call({ org, projectId, subject }))) };
}
