import { parseArgs } from "node:util";
import { grantState, revokeGrant } from "../support/grants";
import type { Services } from "../services";

/** `grants list [--active] [--json]` and `grants revoke <grant-id>`: the operator's view of support access. */
export async function grants(services: Services, args: string[]) {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({ args: rest, options: { active: { type: "boolean" }, json: { type: "boolean" } }, allowPositionals: true });
  const now = services.clock.now();
  if (sub === "list") {
    const rows = (
      await services.control
        .selectFrom("support_grants as g")
        .innerJoin("tenants as t", "t.id", "g.tenant_id")
        .leftJoin("users as staff", "staff.id", "g.redeemed_by")
        .select(["g.id", "t.slug", "g.scope", "g.reason", "g.created_at", "g.expires_at", "g.revoked_at", "g.redeemed_at", "staff.email as redeemed_by"])
        .orderBy("g.created_at", "desc")
        .execute()
    )
      .map((g) => ({ ...g, state: grantState(g, now) }))
      .filter((g) => !values.active || g.state === "waiting" || g.state === "active");
    if (values.json) console.log(JSON.stringify(rows, null, 2));
    else if (rows.length === 0) console.log("No support grants.");
    else console.table(rows.map((g) => ({ id: g.id, org: g.slug, scope: g.scope, state: g.state, redeemed_by: g.redeemed_by ?? "", expires: new Date(g.expires_at).toISOString(), reason: g.reason.slice(0, 40) })));
    return;
  }
  if (sub === "revoke" && positionals[0]) {
    const grant = await services.control.selectFrom("support_grants").select(["id", "tenant_id"]).where("id", "=", positionals[0]).executeTakeFirst();
    if (!grant) throw new Error(`No grant ${positionals[0]}.`);
    const revoked = await revokeGrant(services, grant.tenant_id, grant.id, "operator-cli", { ip: "cli", userAgent: "opslayer-cli" });
    console.log(revoked ? `Revoked ${grant.id}.` : `${grant.id} was already revoked.`);
    return;
  }
  throw new Error("usage: grants list [--active] [--json] | grants revoke <grant-id>");
}
