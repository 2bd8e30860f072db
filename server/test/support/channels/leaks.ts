import { PERMISSIONS, type Permission } from "../../../permissions/catalogue";

/** What a declared permission shows on its channels: the hidden projects' content, their money, or both. */
export type Revealed = "hidden" | "money";

/**
 * Which channels each permission's `reveals` declaration in the catalogue covers (issue 25 item 3:
 * "broad permissions say what they reveal"), spelled as this suite names channels; an entry ending
 * in "*" is a prefix. The catalogue decides WHICH permissions reveal (its sentence is what the roles
 * page shows); this map says where, and a test keeps its keys equal to the catalogue's list, so
 * neither can change without the other.
 */
export const REVEALED_CHANNELS: Record<string, { channels: readonly string[]; shows: readonly Revealed[] }> = {
  "invoice.read": {
    channels: ["invoices.get", "page o.$slug.invoices.$id", "page o.$slug_.invoices.$id_.print"],
    shows: ["hidden", "money"],
  },
  "invoice.create": { channels: ["invoices.preview", "page o.$slug.invoices.new"], shows: ["money"] },
  "audit.view": { channels: ["audit.list", "page o.$slug.audit"], shows: ["hidden", "money"] },
  "audit.export": { channels: ["audit.export", "page o.$slug.audit.export"], shows: ["hidden", "money"] },
  "org.export": { channels: ["organisation export"], shows: ["hidden", "money"] },
  "privacy.subject_requests": {
    channels: ["subjectRequests.search", "page o.$slug.settings.subject-requests"],
    shows: ["hidden", "money"],
  },
};

const declared = (p: Permission) => REVEALED_CHANNELS[p] ?? { channels: [], shows: [] };

/** What the viewer's held permissions declare `channel` shows them, and which permission says so. */
export function revealedOn(
  channel: string,
  held: Iterable<string>,
  reveals: (p: Permission) => { channels: readonly string[]; shows: readonly Revealed[] } = declared,
): { shows: Set<Revealed>; by: string[] } {
  const shows = new Set<Revealed>();
  const by: string[] = [];
  for (const p of held) {
    if (!Object.hasOwn(PERMISSIONS, p)) continue;
    const d = reveals(p as Permission);
    if (d.channels.some((r) => r === channel || (r.endsWith("*") && channel.startsWith(r.slice(0, -1))))) {
      d.shows.forEach((k) => shows.add(k));
      by.push(p);
    }
  }
  return { shows, by };
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
