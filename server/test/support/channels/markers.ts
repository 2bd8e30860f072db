import { randomBytes } from "node:crypto";

/** The stages of the story: what was seen before may not be seen after the change that ends it. */
export const PHASES = ["initial", "unshared", "demoted", "removed"] as const;
export type Phase = (typeof PHASES)[number];

/** Each phase writes its hidden strings with its own family, so a failure says which change leaked. */
const FAMILY: Record<Phase, string> = { initial: "HIDDEN", unshared: "GONE", demoted: "DEMOTED", removed: "AFTERREMOVAL" };
const RUN = randomBytes(6).toString("hex").toUpperCase();

/** A string nothing else in the world contains: the family, this run's random part, and a word. */
export const marker = (phase: Phase, word = "") => `${FAMILY[phase]}-${RUN}${word ? `-${word}` : ""}`;

/** Every family of this run: a viewer blind to hidden projects must see none of them. */
export const ALL_MARKERS = PHASES.map((p) => `${FAMILY[p]}-${RUN}`);

/**
 * The hidden project's rate, 987.65 an hour (minor units 98765), what two hours of it come to, and
 * the invoice line of its four invoiced hours.
 * Seeded ids are base32 without 8 or 9, so these figures cannot occur in an id by chance.
 */
export const HIDDEN_RATE = 98_765;
export const HIDDEN_MONEY = [
  "98765",
  "987.65",
  "987,65",
  "197530",
  "1975.30",
  "1,975.30",
  "1975,30",
  "1.975,30",
  "395060",
  "3950.60",
  "3,950.60",
];

export const phaseIndex = (p: Phase) => PHASES.indexOf(p);
