import { describe, expect, it } from "vitest";
import { containsCardNumber, ibanValid, luhnValid } from "./pan";

describe("luhnValid", () => {
  it("accepts the networks' published test numbers and refuses a changed digit", () => {
    for (const pan of [
      "4111111111111111",
      "5555555555554444",
      "378282246310005",
      "6011111111111117",
      "4000056655665556",
      "3530111333300000",
    ]) {
      expect(luhnValid(pan), pan).toBe(true);
      const changed = pan.slice(0, -1) + ((Number(pan.at(-1)) + 1) % 10);
      expect(luhnValid(changed), changed).toBe(false);
    }
    expect(luhnValid("")).toBe(false);
    expect(luhnValid("4111 1111")).toBe(false);
  });
});

describe("containsCardNumber", () => {
  it("finds a card number however it is grouped or surrounded", () => {
    for (const text of [
      "4111 1111 1111 1111",
      "5555-5555-5555-4444",
      "4111111111111111",
      "paid by card 4111 1111 1111 1111 yesterday",
      "Amex 3782 822463 10005",
      "4111 1111 1111 1111 123", // followed by a CVV
      "2026-05-01 4111-1111-1111-1111", // after a date
      "４１１１ １１１１ １１１１ １１１１", // full-width digits
      "4111\u00a01111\u00a01111\u00a01111", // no-break spaces
      "6011 1111 1111 1117",
    ]) {
      expect(containsCardNumber(text), text).toBe(true);
    }
  });

  it("leaves other long numbers alone", () => {
    for (const text of [
      "",
      "Order 1234 5678 9012 3456", // 16 digits, not Luhn-valid
      "1234567890123456",
      "DE89 3704 0044 0532 0130 00", // an IBAN (checked with mod 97, not Luhn)
      "DE89370400440532013000",
      "GB82 WEST 1234 5698 7654 32",
      "Invoice INV-2026-0001, remittance 2026-05-01",
      "411111111111", // 12 digits: too short
      "12345678901234567890123", // 23 digits in one piece: no card is that long
      "4111111111111112",
    ]) {
      expect(containsCardNumber(text), text).toBe(false);
    }
  });
});

describe("ibanValid", () => {
  it("checks the mod-97 check digits", () => {
    expect(ibanValid("DE89 3704 0044 0532 0130 00")).toBe(true);
    expect(ibanValid("GB82WEST12345698765432")).toBe(true);
    expect(ibanValid("DE88 3704 0044 0532 0130 00")).toBe(false);
    expect(ibanValid("not an iban")).toBe(false);
  });
});
