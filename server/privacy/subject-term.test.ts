import { describe, expect, it } from "vitest";
import { countMatches, excerpt, subjectTerm } from "./subject-term";

const email = subjectTerm("email", " O@VictimCorp.Example ");
const name = subjectTerm("name", "Émilie  Dupont");

describe("whole-token matching", () => {
  it.each([
    ["o@victimcorp.example", 1],
    ["Write to O@VICTIMCORP.EXAMPLE.", 1],
    ["<o@victimcorp.example>, (o@victimcorp.example)", 2],
    ["mailto:o@victimcorp.example?subject=hi", 1],
    ["info@victimcorp.example", 0],
    ["o.o@victimcorp.example", 0],
    ["o+tag@victimcorp.example", 0],
    ["o@victimcorp.example.org", 0],
    ["o@victimcorp.examples", 0],
    ["o@victimcorp.example-mail.test", 0],
    ["dépôto@victimcorp.example", 0],
    ["info!o@victimcorp.example, pager#o@victimcorp.example, a&o@victimcorp.example", 0],
    ["ops~o@victimcorp.example a|o@victimcorp.example a{b}o@victimcorp.example", 0],
    ["https://crm.example/?to=o@victimcorp.example", 1],
  ])("email in %j: %i", (text, n) => {
    expect(countMatches(email, text)).toBe(n);
  });

  it.each([
    ["Émilie Dupont", 1],
    ["ÉMILIE DUPONT signed", 1],
    ["émilie\n dupont", 1],
    ["Émilie Duponte", 0],
    ["Rosémilie Dupont", 0],
    ["Dupont, Émilie", 0],
    ["Émilie", 0],
  ])("name in %j: %i", (text, n) => {
    expect(countMatches(name, text)).toBe(n);
  });

  it("prefilters on the lower-cased address, and on each word of a name", () => {
    expect(email.needles).toEqual(["o@victimcorp.example"]);
    expect(name.needles).toEqual(["émilie", "dupont"]);
  });

  it("shows the first match with context on one line", () => {
    const text = `${"x ".repeat(40)}contact:\nO@victimcorp.example today${" y".repeat(40)}`;
    expect(excerpt(email, text)).toMatch(/^….*contact: O@victimcorp\.example today.*…$/);
  });
});
