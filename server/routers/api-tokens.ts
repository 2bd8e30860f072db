import { z } from "zod";
import { inTenantTransaction } from "../../db/tenant/context";
import { assertWithin } from "../access/role-grants";
import { mintApiToken } from "../auth/api-tokens";
import { newId } from "../auth/tokens";
import { audit } from "../audit/audit";
import { isPermission, type Permission } from "../permissions/catalogue";
import { parsePermissionList } from "../permissions/roles";
import { forbidden, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { idSchema, nameSchema, orgInput } from "./inputs";

const DAY_MS = 24 * 60 * 60_000;
const tokenId = idSchema("a");

const createInput = orgInput.extend({
  name: nameSchema.refine((n) => n.length <= 100, "Use at most 100 characters."),
  scopes: z
    .array(z.string().refine(isPermission, "Unknown permission."))
    .min(1, "Choose at least one permission.")
    .max(200)
    .transform((list) => [...new Set(list)] as Permission[]),
  expiresInDays: z.number().int("Use whole days.").min(1, "At least 1 day.").max(365, "At most 365 days (one year)."),
});

type TokenState = "active" | "expired" | "revoked";

function stateOf(row: { revoked_at: number | null; expires_at: number }, now: number): TokenState {
  if (row.revoked_at !== null) return "revoked";
  return now >= row.expires_at ? "expired" : "active";
}

/**
 * Personal API tokens (control DB, api_tokens): each member sees and revokes only their own, in
 * this organisation. The token is answered once, by `create`; only its SHA-256 is stored, so
 * neither a list nor the audit log nor a log line can ever show it again.
 */
export const apiTokensRouter = router({
  list: tenantProcedure
    .meta({ permission: "api.tokens" })
    .input(orgInput)
    .query(async ({ ctx }) => {
      const now = ctx.services.clock.now();
      const rows = await ctx.services.control
        .selectFrom("api_tokens")
        .select(["id", "name", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at"])
        .where("tenant_id", "=", ctx.tenant.id)
        .where("user_id", "=", ctx.actor.id)
        .orderBy("created_at", "desc")
        .orderBy("id")
        .execute();
      return rows.map((r) => ({
        id: r.id,
        name: r.name,
        scopes: parsePermissionList(r.scopes),
        createdAt: r.created_at,
        expiresAt: r.expires_at,
        lastUsedAt: r.last_used_at,
        revokedAt: r.revoked_at,
        state: stateOf(r, now),
      }));
    }),

  create: tenantProcedure
    .meta({ permission: "api.tokens" })
    .input(createInput)
    .mutation(async ({ ctx, input }) => {
      // A token belongs to a member and is minted from their browser session: support staff are not
      // members, and a token minting tokens would outlive its own revocation.
      if (ctx.actor.kind !== "user") throw forbidden("API tokens are created by members, from the web app.");
      assertWithin(ctx.permissions, input.scopes, "This token");
      const now = ctx.services.clock.now();
      const { token, hash } = mintApiToken();
      const row = {
        id: newId("a"),
        user_id: ctx.actor.id,
        tenant_id: ctx.tenant.id,
        name: input.name,
        token_hash: hash,
        scopes: JSON.stringify([...input.scopes].sort()),
        created_at: now,
        expires_at: now + input.expiresInDays * DAY_MS,
        last_used_at: null,
        revoked_at: null,
      };
      // Two files, no shared commit: the audit row first, so a token never exists off the record.
      await inTenantTransaction(() =>
        audit(
          ctx.actor,
          "api_token.create",
          { type: "api_token", id: row.id },
          { name: row.name, scopes: input.scopes, expiresAt: row.expires_at },
        ),
      );
      await ctx.services.control.insertInto("api_tokens").values(row).execute();
      return { id: row.id, name: row.name, token, scopes: [...input.scopes].sort(), expiresAt: row.expires_at };
    }),

  revoke: tenantProcedure
    .meta({ permission: "api.tokens" })
    .input(orgInput.extend({ id: tokenId }))
    .mutation(async ({ ctx, input }) => {
      const row = await ctx.services.control
        .selectFrom("api_tokens")
        .select(["id", "name", "revoked_at"])
        .where("id", "=", input.id)
        .where("tenant_id", "=", ctx.tenant.id)
        .where("user_id", "=", ctx.actor.id)
        .executeTakeFirst();
      if (!row) throw notFound("API token");
      if (row.revoked_at !== null) return { id: row.id, revoked: true };
      await ctx.services.control.updateTable("api_tokens").set({ revoked_at: ctx.services.clock.now() }).where("id", "=", row.id).execute();
      await inTenantTransaction(() => audit(ctx.actor, "api_token.revoke", { type: "api_token", id: row.id }, { name: row.name }));
      return { id: row.id, revoked: true };
    }),
});
