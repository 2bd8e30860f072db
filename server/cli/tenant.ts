import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { logSecurityEvent } from "../audit/security-log";
import { normaliseEmail } from "../auth/throttle";
import { nameSchema } from "../routers/inputs";
import type { Services } from "../services";
import { createTenant } from "../tenants/create-tenant";
import { closeOrganisation, restoreOrganisation } from "../tenants/terminate";
import { slugSchema } from "../trpc/tenant-context";
import { CliError, group, UsageError, type Command } from "./command";
import { checked, cliInfo, parseCliArgs } from "./cli-input";

async function findTenant(services: Services, slug: string) {
  const tenant = await services.control
    .selectFrom("tenants")
    .select(["id", "slug", "name", "status", "purge_after"])
    .where("slug", "=", checked(slugSchema, slug, "slug"))
    .executeTakeFirst();
  if (!tenant || tenant.status === "purged") throw new CliError(`No organisation "${slug}".`);
  return tenant;
}

function plain<T>(work: Promise<T>): Promise<T> {
  return work.catch((error) => {
    throw error instanceof TRPCError ? new CliError(error.message) : error;
  });
}

const day = (ms: number | null) => (ms === null ? "" : new Date(ms).toISOString().slice(0, 10));

const listCommand: Command = {
  summary: "list organisations with status and member count",
  usage: `npm run cli -- tenant list [--json] [--all]

Active and closed organisations (closed ones show the day their data will be destroyed);
--all adds the tombstones of destroyed ones.`,
  async run(ctx) {
    const { values } = parseCliArgs(ctx.args, { json: { type: "boolean" }, all: { type: "boolean" } });
    const { control } = await ctx.services();
    let query = control
      .selectFrom("tenants")
      .leftJoin("memberships", "memberships.tenant_id", "tenants.id")
      .select([
        "tenants.id",
        "tenants.slug",
        "tenants.name",
        "tenants.status",
        "tenants.created_at",
        "tenants.purge_after",
        control.fn.count<number>("memberships.user_id").as("members"),
      ])
      .groupBy("tenants.id")
      .orderBy("tenants.slug");
    if (!values.all) query = query.where("tenants.status", "in", ["active", "closed"]);
    const rows = await query.execute();
    if (values.json) {
      console.log(JSON.stringify(rows, null, 2));
      return;
    }
    if (rows.length === 0) {
      console.log("No organisations.");
      return;
    }
    console.table(
      rows.map((r) => ({
        slug: r.slug,
        name: r.name,
        status: r.status,
        members: r.members,
        created: day(r.created_at),
        destroyed_after: day(r.purge_after),
        id: r.id,
      })),
    );
  },
};

const createCommand: Command = {
  summary: "create an organisation owned by an existing account",
  usage: `npm run cli -- tenant create --slug <slug> --name <name> --owner <email>

The owner must be an existing, confirmed, non-staff account (it is made owner of the new file).`,
  async run(ctx) {
    const { values } = parseCliArgs(ctx.args, { slug: { type: "string" }, name: { type: "string" }, owner: { type: "string" } });
    if (!values.slug || !values.name || !values.owner) throw new UsageError("tenant create needs --slug, --name and --owner");
    const slug = checked(slugSchema, values.slug, "--slug");
    const name = checked(nameSchema, values.name, "--name");
    const services = await ctx.services();
    const owner = await services.control
      .selectFrom("users")
      .select(["id", "name", "email", "is_staff", "email_verified_at", "deleted_at"])
      .where("email", "=", normaliseEmail(checked(z.email("not a valid email address"), values.owner, "--owner")))
      .executeTakeFirst();
    if (!owner || owner.deleted_at !== null) throw new CliError(`No account with the email ${values.owner}.`);
    if (owner.is_staff) throw new CliError("Platform staff accounts cannot own organisations.");
    if (owner.email_verified_at === null) throw new CliError(`${owner.email} has not confirmed its email address yet.`);
    const tenant = await plain(createTenant(services, owner, { slug, name }, cliInfo()));
    await logSecurityEvent(services.control, services.clock.now(), "org.created_by_operator", { userId: owner.id }, cliInfo(), {
      org: tenant.slug,
    });
    console.log(`Created organisation ${tenant.slug} (${tenant.id}) owned by ${owner.email}.`);
  },
};

const closeCommand: Command = {
  summary: "terminate an organisation (restorable during the grace period)",
  usage: `npm run cli -- tenant close <slug> --yes

Closes the organisation at once: nobody can enter it. Its file and data key are destroyed after
ORG_GRACE_DAYS (default 30) by the scheduler or \`purge\`; until then \`tenant restore\` brings it back.`,
  async run(ctx) {
    const { values, positionals } = parseCliArgs(ctx.args, { yes: { type: "boolean" } }, true);
    if (positionals.length !== 1) throw new UsageError("tenant close needs exactly one slug");
    if (!values.yes) throw new UsageError("closing an organisation locks everyone out; add --yes to confirm");
    const services = await ctx.services();
    const tenant = await findTenant(services, positionals[0]!);
    const closed = await plain(closeOrganisation(services, tenant.id, { userId: null }, cliInfo()));
    console.log(`Closed ${tenant.slug}; its data will be destroyed after ${new Date(closed.purgeAfter).toISOString()} unless restored.`);
  },
};

const restoreCommand: Command = {
  summary: "reopen a closed organisation during its grace period",
  usage: `npm run cli -- tenant restore <slug>

Only organisations closed less than ORG_GRACE_DAYS ago can be restored; afterwards the file and its
key are gone (a backup cannot be read without the key either).`,
  async run(ctx) {
    const { positionals } = parseCliArgs(ctx.args, {}, true);
    if (positionals.length !== 1) throw new UsageError("tenant restore needs exactly one slug");
    const services = await ctx.services();
    const tenant = await findTenant(services, positionals[0]!);
    await plain(restoreOrganisation(services, tenant.id, { userId: null }, cliInfo()));
    console.log(`Restored ${tenant.slug}; its members can enter it again.`);
  },
};

export const tenantCommand = group("tenant", "organisations: list, create, close, restore", {
  list: listCommand,
  create: createCommand,
  close: closeCommand,
  restore: restoreCommand,
});
