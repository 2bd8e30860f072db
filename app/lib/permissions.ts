import { useRouteLoaderData } from "@remix-run/react";
import type { loader as orgLoader } from "~/routes/o.$slug";

/**
 * What the viewer's role allows in the current organisation, for hiding controls. Hiding is a
 * courtesy: every procedure checks its own permission on the server, whatever the page shows.
 */
export function can(permissions: readonly string[] | null | undefined, name: string): boolean {
  return permissions?.includes(name) ?? false;
}

/** The organisation layout's answer to members.me, readable from any page below /o/:slug. */
export function useOrgAccess() {
  const data = useRouteLoaderData<typeof orgLoader>("routes/o.$slug");
  const permissions = data?.me?.permissions ?? [];
  return {
    org: data?.org ?? null,
    me: data?.me ?? null,
    permissions,
    currency: data?.me?.currency ?? "EUR",
    /** The viewer's number format for typed amounts (from their browser's languages). */
    numberLocale: data?.numberLocale ?? "en",
    can: (name: string) => can(permissions, name),
  };
}
