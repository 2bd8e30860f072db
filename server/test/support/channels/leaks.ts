import { PERMISSIONS, type Permission } from "../../../permissions/catalogue";

/**
 * The channels a permission declares it reveals everything through (issue 25 item 3: "broad
 * permissions say what they reveal"). Read from the catalogue entry's `reveals` when it has one, so
 * the suite honours a declaration as soon as it is written; today no entry has the field. An entry
 * is a channel name as this suite names it ("audit.list", "csv audit.export:csv", "organisation
 * export") or a prefix ending in "*" ("page o.$slug.audit*").
 */
export function channelsRevealedBy(permission: Permission): readonly string[] {
  const entry = PERMISSIONS[permission] as { reveals?: readonly string[] };
  return entry.reveals ?? [];
}

/** The first permission the viewer holds that declares it reveals `channel`, or null. */
export function revealingPermission(
  channel: string,
  held: Iterable<string>,
  reveals: (p: Permission) => readonly string[] = channelsRevealedBy,
): string | null {
  for (const p of held) {
    if (!Object.hasOwn(PERMISSIONS, p)) continue;
    for (const r of reveals(p as Permission)) {
      if (r === channel || (r.endsWith("*") && channel.startsWith(r.slice(0, -1)))) return p;
    }
  }
  return null;
}

/** Every place `needle` occurs in `text`, with a little context either side (what a failure prints). */
export function leaksIn(text: string, forbidden: readonly string[]): string[] {
  const found: string[] = [];
  for (const needle of forbidden) {
    let at = text.indexOf(needle);
    for (let n = 0; at !== -1 && n < 3; n++) {
      found.push(`${needle} in …${text.slice(Math.max(0, at - 70), at + needle.length + 50)}…`);
      at = text.indexOf(needle, at + needle.length);
    }
  }
  return found;
}
