import { describe, expect, it } from "vitest";
import { dateIn, endOfDayIn, startOfDayIn } from "./dates";

const iso = (ms: number) => new Date(ms).toISOString();

describe("calendar days in a time zone", () => {
  it("starts and ends a day at the zone's midnights", () => {
    expect(iso(startOfDayIn("Europe/Berlin", "2026-01-01"))).toBe("2025-12-31T23:00:00.000Z");
    expect(iso(endOfDayIn("Europe/Berlin", "2026-01-31"))).toBe("2026-01-31T23:00:00.000Z");
    expect(iso(startOfDayIn("UTC", "2026-01-01"))).toBe("2026-01-01T00:00:00.000Z");
    expect(iso(startOfDayIn("Pacific/Auckland", "2026-01-01"))).toBe("2025-12-31T11:00:00.000Z");
  });

  it("has 23- and 25-hour days at DST changes", () => {
    const hours = (zone: string, day: string) => (endOfDayIn(zone, day) - startOfDayIn(zone, day)) / 3_600_000;
    expect(hours("Europe/Berlin", "2026-03-29")).toBe(23);
    expect(hours("Europe/Berlin", "2026-10-25")).toBe(25);
    expect(hours("Europe/Berlin", "2026-06-01")).toBe(24);
  });

  it("starts a day whose midnight does not exist at its first instant", () => {
    // America/Santiago skipped 00:00–01:00 on 4 September 2022.
    expect(iso(startOfDayIn("America/Santiago", "2022-09-04"))).toBe("2022-09-04T04:00:00.000Z");
  });

  it("names the day (and year) an instant falls on in the zone", () => {
    const newYearsEveUtc = Date.parse("2026-12-31T23:30:00Z");
    expect(dateIn("Europe/Berlin", newYearsEveUtc)).toBe("2027-01-01");
    expect(dateIn("UTC", newYearsEveUtc)).toBe("2026-12-31");
    expect(dateIn("America/New_York", Date.parse("2027-01-01T04:59:59Z"))).toBe("2026-12-31");
  });
});
