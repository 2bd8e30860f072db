import type { User } from "lucia";
import type { ControlDb } from "../../db/control/open";
import { compileOnce } from "../../db/sqlite";
import type { Permission } from "../permissions/catalogue";
import { parsePermissionList } from "../permissions/roles";
import type { Services } from "../services";
import { newToken, sha256Hex } from "./tokens";

/**
 * Personal API tokens: "opl_" + 256 random bits. Only the SHA-256 is stored (control DB, api_tokens);
 * the token is shown once, at creation. A token belongs to one member of one organisation and names
 * its scopes (catalogue permissions); the tenant door intersects them with the member's current role.
 */
export const API_TOKEN_PREFIX = "opl_";
const TOKEN_SHAPE = /^opl_[A-Za-z0-9_-]{43}$/;

/** "Last used" is shown in the list; writing it on every request would turn every read into a write. */
export const LAST_USED_GRANULARITY_MS = 60_000;

export function mintApiToken(): { token: string; hash: string } {
  const token = API_TOKEN_PREFIX + newToken();
  return { token, hash: sha256Hex(token) };
}

/** The token of an `Authorization: Bearer …` header, or null when the header is absent or another scheme. */
export function bearerToken(header: string | undefined): string | null {
  const match = header ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
  return match ? match[1]! : null;
}

/** A live token and its user: what the tRPC context holds for a Bearer request. The secret is not kept. */
export interface ApiViewer {
  tokenId: string;
  tenantId: string;
  scopes: ReadonlySet<Permission>;
  lastUsedAt: number | null;
  user: User;
}

const tokenLookup = compileOnce((db: ControlDb, v: { hash: string }) =>
  db
    .selectFrom("api_tokens")
    .innerJoin("users", "users.id", "api_tokens.user_id")
    .select([
      "api_tokens.id",
      "api_tokens.tenant_id",
      "api_tokens.scopes",
      "api_tokens.expires_at",
      "api_tokens.revoked_at",
      "api_tokens.last_used_at",
      "users.id as user_id",
      "users.email",
      "users.name",
      "users.email_verified_at",
      "users.is_staff",
    ])
    .where("api_tokens.token_hash", "=", v.hash),
);

/** Null unless the token exists, is unrevoked and unexpired; membership is the tenant door's check. */
export async function resolveApiToken(services: Services, token: string): Promise<ApiViewer | null> {
  if (!TOKEN_SHAPE.test(token)) return null;
  const row = await tokenLookup.executeTakeFirst(services.control, { hash: sha256Hex(token) });
  if (!row || row.revoked_at !== null || services.clock.now() >= row.expires_at) return null;
  return {
    tokenId: row.id,
    tenantId: row.tenant_id,
    scopes: new Set(parsePermissionList(row.scopes)),
    lastUsedAt: row.last_used_at,
    user: { id: row.user_id, email: row.email, name: row.name, emailVerified: row.email_verified_at !== null, isStaff: row.is_staff === 1 },
  };
}

/** Records use at most once a minute per token. */
export async function touchApiToken(services: Services, api: ApiViewer) {
  const now = services.clock.now();
  if (api.lastUsedAt !== null && now - api.lastUsedAt < LAST_USED_GRANULARITY_MS) return;
  await services.control.updateTable("api_tokens").set({ last_used_at: now }).where("id", "=", api.tokenId).execute();
}

/** Scopes ∩ the member's current permissions: a role change narrows every token of the member at once. */
export function effectivePermissions(scopes: ReadonlySet<Permission>, role: ReadonlySet<Permission>): ReadonlySet<Permission> {
  return new Set([...scopes].filter((p) => role.has(p)));
}
