import { describe, expect, it } from "vitest";
import { runLifecycleChaos } from "./support/lifecycle-chaos";

// The short form: three rounds (a backup + restore first, then a seeded mix with close/reopen), eight
// writers. `npm run chaos:lifecycle` runs the long form (more rounds, 20 writers, any seed).
describe("lifecycle chaos (issue 29)", () => {
  it("writers over HTTP while backup, restore --org and close/restore run: no acknowledged write lost unless a verified restore took it back, every command proven or refused with a sentence", async () => {
    const report = await runLifecycleChaos({ rounds: 3, writers: 8, seed: 29 });
    expect(report.violations).toEqual([]);
    expect(report.integrity).toBe("ok");
    expect(report.restores).toBeGreaterThanOrEqual(1);
    // The restores took something back (writes made after their backups), so they did happen.
    expect(report.removedByRestores).toBeGreaterThan(0);
    expect(report.acknowledged).toBeGreaterThan(report.removedByRestores);
    expect(Object.keys(report.refused).filter((k) => k.startsWith("503") && k !== "503 retry-after=10")).toEqual([]);
    expect(Object.keys(report.refused).filter((k) => k.startsWith("5") && !k.startsWith("503"))).toEqual([]);
  }, 300_000);
});
