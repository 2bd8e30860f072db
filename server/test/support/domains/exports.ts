import type { TenantCalls } from "../calls";

/** No export has this id anywhere: refusals must come before "not found". */
const NO_SUCH_EXPORT = `x${"a".repeat(24)}`;

/**
 * Valid inputs for the exports procedures. exports.start queues a real export of the caller's own
 * organisation (it runs in the background and never touches another file); a second start while
 * one is running answers CONFLICT, so it is "no-ids" rather than "answered".
 */
export const exportsCalls: TenantCalls = {
  "exports.start": { kind: "mutation", input: (t) => ({ org: t.slug }), foreignIds: "no-ids" },
  "exports.list": { kind: "query", input: (t) => ({ org: t.slug }), foreignIds: "answered" },
  "exports.download": { kind: "query", input: (t) => ({ org: t.slug, id: t.exportId ?? NO_SUCH_EXPORT }) },
};

/** Bad inputs for the exports procedures (see bad-input.test.ts); "$key" names a seeded row of the target. */
export const exportsBadInputs = (org: string): Record<string, unknown[]> => ({
  "exports.start": [{ org: "Not A Slug" }, { org: 5 }, {}],
  "exports.list": [{ org: "Not A Slug" }],
  "exports.download": [{ org }, { org, id: "../x" }, { org, id: "$clientId" }, { org, id: 5 }, { org, id: `${NO_SUCH_EXPORT}.zip` }],
});
