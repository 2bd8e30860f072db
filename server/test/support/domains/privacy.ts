import type { TenantCalls } from "../calls";

/**
 * termination.terminate is the one tenant procedure here. The suites call it on the seeded
 * organisations they go on using, so its input is valid in shape but names the wrong address:
 * every caller who gets past the door and the org.delete check is then refused with 400, and
 * nothing is closed. A successful close (and everything after it) is termination.test.ts's job.
 */
export const privacyCalls: TenantCalls = {
  "termination.preview": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "no-ids" },
  "termination.terminate": { kind: "mutation", input: (t) => ({ org: t.slug, confirmSlug: `not-${t.slug}` }) },
};

/** Bad inputs for the privacy procedures, tenant and account ones alike (see bad-input.test.ts). */
export const privacyBadInputs = (org: string): Record<string, unknown[]> => ({
  "termination.preview": [{ org: "Not A Slug" }, {}],
  "termination.terminate": [
    { org },
    { org, confirmSlug: 5 },
    { org, confirmSlug: "x".repeat(101) },
    { org: "Not A Slug", confirmSlug: org },
  ],
  "termination.restore": [{}, { slug: "Not A Slug" }, { slug: 7 }],
  "account.delete": [
    {},
    { password: "", confirm: "someone@example.test" },
    { password: "x", confirm: 5 },
    { password: "x".repeat(2000), confirm: "a@b.test" },
    { password: "x", confirm: "y".repeat(300) },
  ],
});
