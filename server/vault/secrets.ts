import { z } from "zod";
import { currentTenant } from "../../db/tenant/context";
import { findSecret, type VaultTable } from "../../db/tenant/vault/vault";
import { audit } from "../audit/audit";
import type { EnvelopeAad } from "../crypto/envelope";
import type { Keyring } from "../crypto/keys";
import type { Actor } from "../trpc/tenant-context";

/**
 * Write-only secrets of the credentials vault. A credential is sealed as one JSON value with the
 * organisation's data key, bound to { org, table, row, field: "secret" }; the API only ever answers
 * a mask with its last characters. The plaintext comes back out through `revealSecret` alone, for
 * server code that needs it (a deployment, a sync), and every such read is audited.
 */

const secretText = (max: number) => z.string().min(1, "Required.").max(max, `Use at most ${max} characters.`);

export const apiKeyCredential = z.object({ type: z.literal("api_key"), apiKey: secretText(4096) });
export const oauthCredential = z.object({
  type: z.literal("oauth"),
  accessToken: secretText(8192),
  refreshToken: secretText(8192)
    .nullish()
    .transform((v) => v ?? null),
  /** When the access token expires (ms, UTC); kept in clear so the UI can warn. */
  expiresAt: z
    .number()
    .int()
    .min(0)
    .max(8_640_000_000_000_000)
    .nullish()
    .transform((v) => v ?? null),
});
export const basicCredential = z.object({
  type: z.literal("basic"),
  username: z.string().min(1, "Required.").max(200),
  password: secretText(1024),
});
export const sshKeyCredential = z.object({
  type: z.literal("ssh_key"),
  privateKey: secretText(16_384),
  passphrase: z
    .string()
    .max(1024)
    .nullish()
    .transform((v) => v ?? null),
});

export const serviceCredential = z.discriminatedUnion("type", [apiKeyCredential, oauthCredential, basicCredential, sshKeyCredential]);
export const serverCredential = z.discriminatedUnion("type", [basicCredential, sshKeyCredential, apiKeyCredential]);

export type Credential = z.output<typeof serviceCredential>;

/** What the sealed JSON holds (the expiry lives in its own column). */
type SealedCredential =
  | { type: "api_key"; apiKey: string }
  | { type: "oauth"; accessToken: string; refreshToken: string | null }
  | { type: "basic"; username: string; password: string }
  | { type: "ssh_key"; privateKey: string; passphrase: string | null };

function sealedForm(c: Credential): SealedCredential {
  switch (c.type) {
    case "api_key":
      return { type: c.type, apiKey: c.apiKey };
    case "oauth":
      return { type: c.type, accessToken: c.accessToken, refreshToken: c.refreshToken };
    case "basic":
      return { type: c.type, username: c.username, password: c.password };
    case "ssh_key":
      return { type: c.type, privateKey: c.privateKey, passphrase: c.passphrase };
  }
}

/** Secrets shorter than this show no characters at all: four of eight would be half the secret. */
const MIN_LENGTH_FOR_HINT = 12;

/** The last 4 characters of the part that identifies the secret (key, access token, password, key body). */
export function hintOf(c: Credential): string {
  const source =
    c.type === "api_key"
      ? c.apiKey
      : c.type === "oauth"
        ? c.accessToken
        : c.type === "basic"
          ? c.password
          : c.privateKey.replace(/-----[^-]*-----/g, "").replace(/\s+/g, "");
  return source.length >= MIN_LENGTH_FOR_HINT ? source.slice(-4) : "";
}

/** How a hint is shown: always the mask, then the stored characters. */
export const masked = (hint: string) => `••••${hint}`;

export function secretAad(org: string, table: VaultTable, row: string): EnvelopeAad {
  return { org, table, row, field: "secret" };
}

export interface VaultServices {
  keys: Keyring;
}

/** Seals a credential for one row of the current organisation. */
export function sealCredential(services: VaultServices, table: VaultTable, row: string, credential: Credential): Promise<Buffer> {
  return services.keys.seal(secretAad(currentTenant().tenantId, table, row), JSON.stringify(sealedForm(credential)));
}

/** Raised when a vault row does not exist in the current organisation. */
export class NoSuchSecretError extends Error {
  override name = "NoSuchSecretError";
}

/**
 * Server code only (never a procedure): decrypts one row's credential in the current organisation
 * and audits the read as "vault.secret_read" with the purpose and the outcome, never the value.
 * Throws NoSuchSecretError, or DecryptError when the envelope does not open for this very row.
 */
export async function revealSecret(
  ctx: { services: VaultServices; actor: Actor },
  table: VaultTable,
  id: string,
  purpose: string,
): Promise<SealedCredential> {
  const why = purpose.trim();
  if (!why || why.length > 200) throw new TypeError("revealSecret needs a purpose of 1 to 200 characters");
  const blob = await findSecret(table, id);
  if (!blob) throw new NoSuchSecretError(`no ${table} row ${id}`);
  const target = { type: table === "servers" ? "server" : "connected_service", id };
  let plaintext: Buffer;
  try {
    plaintext = await ctx.services.keys.open(secretAad(currentTenant().tenantId, table, id), Buffer.from(blob));
  } catch (error) {
    await audit(ctx.actor, "vault.secret_read", target, { purpose: why, outcome: "failure" });
    throw error;
  }
  await audit(ctx.actor, "vault.secret_read", target, { purpose: why, outcome: "success" });
  return JSON.parse(plaintext.toString("utf8")) as SealedCredential;
}
