/**
 * Card numbers (PANs) must never be stored, so free-text payment fields refuse anything that looks
 * like one: 13 to 19 digits, possibly grouped by spaces or dashes, that pass the Luhn check (ISO/IEC
 * 7812). A random digit string passes Luhn one time in ten, so the check is narrow on purpose:
 * - Text is NFKC-normalised first, so full-width digits (４１１１…) and odd spaces count too.
 * - Valid IBANs (ISO 13616, mod-97 check) are removed before scanning: a bank reference is the most
 *   common long number in a payment note and is exactly what belongs there.
 * - Within a run of digit groups ("4111 1111 1111 1111 123", a PAN followed by its CVV), every
 *   sequence of whole groups with 13–19 digits is checked, not only the whole run; a long ungrouped
 *   number (an order number of 20+ digits) is not a PAN and is left alone.
 */

const RUN = /\d+(?:[\s-]{1,3}\d+)*/g;
const IBAN = /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b/gi;

export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** ISO 13616: move the first four characters to the end, letters to numbers (A=10), mod 97 must be 1. */
export function ibanValid(text: string): boolean {
  const iban = text.replace(/\s+/g, "").toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const value = ch >= "A" ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

function isCardLength(n: number) {
  return n >= 13 && n <= 19;
}

/** True when the text contains something that may be a card number. */
export function containsCardNumber(text: string): boolean {
  const normalised = text.normalize("NFKC").replace(IBAN, (m) => (ibanValid(m) ? " " : m));
  for (const match of normalised.matchAll(RUN)) {
    const groups = match[0].split(/[\s-]+/);
    for (let start = 0; start < groups.length; start++) {
      let digits = "";
      for (let end = start; end < groups.length; end++) {
        digits += groups[end];
        if (digits.length > 19) break;
        if (isCardLength(digits.length) && luhnValid(digits)) return true;
      }
    }
  }
  return false;
}

export const CARD_NUMBER_MESSAGE = "That looks like a card number; never record card numbers here.";
