import { zxcvbn, zxcvbnOptions } from "@zxcvbn-ts/core";
import * as common from "@zxcvbn-ts/language-common";
import * as en from "@zxcvbn-ts/language-en";

zxcvbnOptions.setOptions({
  dictionary: { ...common.dictionary, ...en.dictionary },
  graphs: common.adjacencyGraphs,
  translations: en.translations,
});

const commonPasswords = new Set(common.dictionary.passwords.map((p) => p.toLowerCase()));

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

/**
 * ASVS 2.1: length 12..128, no composition rules, not a common or easily guessed password, not
 * built on the account's email. Returns a sentence for the form, or null when the password is fine.
 */
export function passwordProblem(password: string, email: string, name = ""): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  const lower = password.toLowerCase();
  const local = email.split("@")[0]?.toLowerCase() ?? "";
  if (local.length >= 3 && lower.includes(local)) return "Don't use your email address in your password.";
  if (commonPasswords.has(lower)) return "This is a commonly used password; choose another.";
  const result = zxcvbn(
    password,
    [email, local, name].filter((s) => s.length >= 3),
  );
  if (result.score < 3) {
    const hint = result.feedback.warning ? ` ${result.feedback.warning}` : "";
    return `This password is too easy to guess.${hint}`.trim();
  }
  return null;
}
