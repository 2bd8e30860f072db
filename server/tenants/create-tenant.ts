import { deleteTenantFile, provisionTenantFile } from "../../db/tenant/provision";
import type { RequestInfo } from "../auth/session";
import { newId } from "../auth/tokens";
import type { Services } from "../services";
import { conflict, isUniqueViolation } from "../trpc/errors";

interface Owner {
  id: string;
  name: string;
  email: string;
}

/**
 * Cross-file write in a fixed order (ADR 002): claim the slug in the control DB as `provisioning`,
 * make the tenant file (owner + first audit row inside it), then publish membership and `active` in
 * one control transaction. A failure at any step removes what the earlier steps made.
 */
export async function createTenant(services: Services, owner: Owner, org: { name: string; slug: string }, info: RequestInfo) {
  const { control, config, clock } = services;
  const id = newId("t");
  const now = clock.now();
  try {
    await control
      .insertInto("tenants")
      .values({
        id,
        slug: org.slug,
        name: org.name,
        status: "provisioning",
        plan: "standard",
        features: "{}",
        file_name: `${id}.sqlite`,
        wrapped_key: services.keys.createDataKey(id),
        created_by: owner.id,
        created_at: now,
      })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict("That address is taken; choose another.");
    throw error;
  }
  try {
    await provisionTenantFile(config.dataDir, id, config.synchronous, async (db) => {
      await db
        .insertInto("members")
        .values({ user_id: owner.id, role: "owner", name: owner.name, email: owner.email, joined_at: now })
        .execute();
      await db
        .insertInto("audit_log")
        .values({
          at: now,
          actor_kind: "user",
          actor_id: owner.id,
          ip: info.ip,
          user_agent: info.userAgent,
          action: "org.create",
          target_type: "org",
          target_id: id,
          detail: JSON.stringify({ name: org.name, slug: org.slug }),
        })
        .execute();
    });
    await control.transaction().execute(async (trx) => {
      await trx.insertInto("memberships").values({ user_id: owner.id, tenant_id: id, created_at: now }).execute();
      await trx.updateTable("tenants").set({ status: "active" }).where("id", "=", id).execute();
    });
  } catch (error) {
    await services.pool.close(id);
    deleteTenantFile(config.dataDir, id);
    await control.deleteFrom("tenants").where("id", "=", id).execute();
    throw error;
  }
  return { id, slug: org.slug, name: org.name };
}
