import type { Target } from "./world";

/** How the suites call one tenant procedure with a valid input aimed at an organisation's rows. */
export interface TenantCall {
  kind: "query" | "mutation";
  input: (t: Target) => Record<string, unknown>;
  /**
   * Called in organisation A with B's ids: "refused" (400 or 404, the default) or "answered" (200,
   * e.g. a list or a create, with nothing of B's in it); "no-ids" when the input names no row, so
   * only the absence of B's data and B's unchanged file are checked.
   */
  foreignIds?: "refused" | "answered" | "no-ids";
  /**
   * The project the call reaches: "target" = it acts on t.projectId or a row inside it, so a caller
   * who cannot see that project gets NOT_FOUND; "list" = it answers about many projects and must
   * leave hidden ones out. Unset: not about projects.
   */
  project?: "target" | "list";
}

export type TenantCalls = Record<string, TenantCall>;
