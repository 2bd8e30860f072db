import { grantState, revokeGrant } from "../support/grants";
import { CliError, UsageError, type Command } from "./command";
import { parseCliArgs } from "./cli-input";

const USAGE = `npm run cli -- grants list [--active] [--json]
npm run cli -- grants revoke <grant-id>

The support access links organisations have granted: who redeemed them, until when. Revoking ends
the staff member's support session at their next request.`;

/** The operator's view of support access. */
export const grantsCommand: Command = {
  summary: "support access grants: list, revoke",
  usage: USAGE,
  async run(ctx) {
    const [sub, ...rest] = ctx.args;
    const { values, positionals } = parseCliArgs(rest, { active: { type: "boolean" }, json: { type: "boolean" } }, true);
    const services = await ctx.services();
    const now = services.clock.now();
    if (sub === "list") {
      const rows = (
        await services.control
          .selectFrom("support_grants as g")
          .innerJoin("tenants as t", "t.id", "g.tenant_id")
          .leftJoin("users as staff", "staff.id", "g.redeemed_by")
          .select([
            "g.id",
            "t.slug",
            "g.scope",
            "g.reason",
            "g.created_at",
            "g.expires_at",
            "g.revoked_at",
            "g.redeemed_at",
            "staff.email as redeemed_by",
          ])
          .orderBy("g.created_at", "desc")
          .execute()
      )
        .map((g) => ({ ...g, state: grantState(g, now) }))
        .filter((g) => !values.active || g.state === "waiting" || g.state === "active");
      if (values.json) console.log(JSON.stringify(rows, null, 2));
      else if (rows.length === 0) console.log("No support grants.");
      else
        console.table(
          rows.map((g) => ({
            id: g.id,
            org: g.slug,
            scope: g.scope,
            state: g.state,
            redeemed_by: g.redeemed_by ?? "",
            expires: new Date(g.expires_at).toISOString(),
            reason: g.reason.slice(0, 40),
          })),
        );
      return;
    }
    if (sub === "revoke" && positionals[0]) {
      const grant = await services.control
        .selectFrom("support_grants")
        .select(["id", "tenant_id"])
        .where("id", "=", positionals[0])
        .executeTakeFirst();
      if (!grant) throw new CliError(`No grant ${positionals[0]}.`);
      const revoked = await revokeGrant(services, grant.tenant_id, grant.id, "operator-cli", { ip: "cli", userAgent: "opslayer-cli" });
      console.log(revoked ? `Revoked ${grant.id}.` : `${grant.id} was already revoked.`);
      return;
    }
    throw new UsageError(USAGE);
  },
};
