import { randomBytes } from "node:crypto";
import { z } from "zod";
import { currentTenant, inTenantTransaction, tenantDb } from "../../db/tenant/context";
import {
  countWebhooks,
  deleteWebhook,
  findDelivery,
  findWebhook,
  insertDelivery,
  insertWebhook,
  listDeliveries,
  listWebhooks,
  updateWebhook,
} from "../../db/tenant/webhooks/store";
import type { Viewer } from "../access/visible-to";
import { audit } from "../audit/audit";
import { memberView } from "../digest/member-access";
import { newId } from "../auth/tokens";
import type { Services } from "../services";
import { badRequest, conflict, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { secretAad } from "../webhooks/dispatcher";
import { deliveryBody, WEBHOOK_EVENTS } from "../webhooks/events";
import { ownerProblem } from "../webhooks/owner";
import { scopeEvent } from "../webhooks/scope";
import { allowPrivateHosts, privateHostProblem, webhookUrlProblem } from "../webhooks/url";
import { idSchema, orgInput } from "./inputs";

/**
 * Outgoing webhooks (server/webhooks). Everything needs webhook.manage. The signing secret is
 * returned by create and rotateSecret only, once; it is stored sealed and never shown again, and
 * no list, log or audit row carries it. Audit rows name the URL's origin only: some receivers put
 * a token in the path.
 *
 * A webhook acts as its owner (issue 25): the dispatcher sends only what the owner can see now, and
 * pauses it when the owner leaves or loses webhook.manage. So where it points and what it hears are
 * the owner's to change: another admin pauses, deletes or takes ownership (audited), but does not
 * redirect someone else's sight to a receiver of their choosing.
 */
const MAX_WEBHOOKS = 20;
const webhookId = idSchema("h");
const deliveryId = idSchema("d");
const urlSchema = z
  .string()
  .trim()
  .min(1, "Required.")
  .max(2000, "Use at most 2,000 characters.")
  .superRefine((value, ctx) => {
    const problem = webhookUrlProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
const eventsSchema = z
  .array(z.enum(WEBHOOK_EVENTS, "Not a known event."))
  .min(1, "Choose at least one event.")
  .max(WEBHOOK_EVENTS.length)
  .transform((events) => [...new Set(events)].sort());

const newSecret = () => `whsec_${randomBytes(32).toString("base64url")}`;
const origin = (url: string) => new URL(url).origin;

async function requireWebhook(id: string) {
  const hook = await findWebhook(id);
  if (!hook) throw notFound("Webhook");
  return hook;
}

const readerOf = (ctx: { actor: { id: string }; permissions: Viewer["permissions"]; access: Viewer["access"] }): Viewer => ({
  userId: ctx.actor.id,
  permissions: ctx.permissions,
  access: ctx.access,
});

/** A person who owns webhooks: a member, in person or through their API token; support is not one. */
function requireOwnerCandidate(actor: { kind: string }) {
  if (actor.kind !== "user" && actor.kind !== "api")
    throw badRequest("A webhook sends what its owner can see, so only a member of the organisation can own one.");
}

/**
 * A webhook sends what its owner's role sees, not what the API token that set it up may read. So a
 * token narrower than its member's role may not choose where that sight goes (create, take over,
 * re-point): its scopes would not bound what the receiver gets.
 */
async function requireTokenAsWideAsMember(ctx: { actor: { kind: string; id: string }; permissions: Viewer["permissions"] }) {
  if (ctx.actor.kind !== "api") return;
  const member = await memberView(tenantDb(), ctx.actor.id);
  const missing = member ? [...member.permissions].filter((p) => !ctx.permissions.has(p)) : [];
  if (missing.length > 0)
    throw conflict(
      `A webhook sends what your role can see, which is more than this token's scopes (it lacks ${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", …" : ""}); a token narrower than your role cannot create, take over or re-point a webhook.`,
    );
}

async function requirePublicUrl(services: Services, url: string) {
  const problem = await privateHostProblem(url, allowPrivateHosts(services.config));
  if (problem) throw badRequest(problem);
}

/**
 * What the delivery log shows; the body is there for debugging (it never holds the secret). The body
 * is shown as the reader may see it now, by the rule the dispatcher applies to the owner: about
 * something they cannot see, it is null and `payload_hidden` says why; fields they may not see are
 * left out.
 */
async function deliveryView(d: Awaited<ReturnType<typeof listDeliveries>>[number], reader: Viewer) {
  const stored = JSON.parse(d.payload) as { created_at: string; data: Record<string, unknown> };
  const scoped = await scopeEvent(tenantDb(), reader, d.event, stored.data);
  return {
    id: d.id,
    event: d.event,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.next_attempt_at,
    status_code: d.last_status_code,
    duration_ms: d.last_duration_ms,
    error: d.last_error,
    created_at: d.created_at,
    delivered_at: d.delivered_at,
    payload: scoped.send ? deliveryBody(d.id, d.event, Date.parse(stored.created_at), scoped.data) : null,
    payload_hidden: scoped.send ? null : `hidden: ${scoped.reason}`,
  };
}

export const webhooksRouter = router({
  list: tenantProcedure
    .meta({ permission: "webhook.manage" })
    .input(orgInput)
    .query(() => listWebhooks()),

  create: tenantProcedure
    .meta({ permission: "webhook.manage" })
    .input(orgInput.extend({ url: urlSchema, events: eventsSchema, active: z.boolean().default(true) }))
    .mutation(async ({ ctx, input }) => {
      // The DNS check is done before the write transaction, which it must not hold open.
      requireOwnerCandidate(ctx.actor);
      await requireTokenAsWideAsMember(ctx);
      await requirePublicUrl(ctx.services, input.url);
      const id = newId("h");
      const secret = newSecret();
      const sealed = await ctx.services.keys.seal(secretAad(currentTenant().tenantId, id), secret);
      return inTenantTransaction(async () => {
        if ((await countWebhooks()) >= MAX_WEBHOOKS) throw conflict(`An organisation can have at most ${MAX_WEBHOOKS} webhooks.`);
        const now = ctx.services.clock.now();
        await insertWebhook({
          id,
          url: input.url,
          events: JSON.stringify(input.events),
          secret: sealed,
          active: input.active ? 1 : 0,
          owner_id: ctx.actor.id,
          paused_reason: null,
          created_at: now,
          updated_at: now,
        });
        await audit(
          ctx.actor,
          "webhook.create",
          { type: "webhook", id },
          { origin: origin(input.url), events: input.events, active: input.active },
        );
        return { webhook: await requireWebhook(id), secret };
      });
    }),

  update: tenantProcedure
    .meta({ permission: "webhook.manage" })
    .input(orgInput.extend({ id: webhookId, url: urlSchema.optional(), events: eventsSchema.optional(), active: z.boolean().optional() }))
    .mutation(async ({ ctx, input }) => {
      const { org: _org, id, ...changes } = input;
      if (changes.url !== undefined || changes.events !== undefined) await requireTokenAsWideAsMember(ctx);
      if (changes.url !== undefined) await requirePublicUrl(ctx.services, changes.url);
      const hook = await inTenantTransaction(async () => {
        const before = await requireWebhook(id);
        if ((changes.url !== undefined || changes.events !== undefined) && before.owner?.id !== ctx.actor.id)
          throw conflict(
            `This webhook sends what ${before.owner?.name ?? "its owner"} can see; take ownership before changing where it points or what it sends.`,
          );
        if (changes.active && !before.active) {
          const problem = ownerProblem(before.owner?.id ?? null, before.owner ? await memberView(tenantDb(), before.owner.id) : null);
          if (problem) throw conflict(problem);
        }
        await updateWebhook(id, changes, ctx.services.clock.now());
        await audit(
          ctx.actor,
          "webhook.update",
          { type: "webhook", id },
          {
            fields: Object.keys(changes),
            ...(changes.url !== undefined && { origin: origin(changes.url) }),
            ...(changes.active !== undefined && { active: changes.active }),
          },
        );
        return { before, after: await requireWebhook(id) };
      });
      // Resumed: deliveries that waited while it was paused are due again.
      if (!hook.before.active && hook.after.active) ctx.services.webhooks.notify(currentTenant().tenantId, ctx.services.clock.now());
      return hook.after;
    }),

  delete: tenantProcedure
    .meta({ permission: "webhook.manage" })
    .input(orgInput.extend({ id: webhookId }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const hook = await requireWebhook(input.id);
        await deleteWebhook(input.id);
        await audit(ctx.actor, "webhook.delete", { type: "webhook", id: input.id }, { origin: origin(hook.url) });
        return { id: input.id, deleted: true };
      }),
    ),

  /**
   * The caller becomes the webhook's owner: from now on it sends what they can see. It keeps its
   * state; one paused because its owner left stays paused until resumed.
   */
  takeOwnership: tenantProcedure
    .meta({ permission: "webhook.manage" })
    .input(orgInput.extend({ id: webhookId }))
    .mutation(async ({ ctx, input }) => {
      requireOwnerCandidate(ctx.actor);
      await requireTokenAsWideAsMember(ctx);
      return inTenantTransaction(async () => {
        const before = await requireWebhook(input.id);
        if (before.owner?.id === ctx.actor.id) return before;
        await updateWebhook(input.id, { ownerId: ctx.actor.id }, ctx.services.clock.now());
        await audit(
          ctx.actor,
          "webhook.take_ownership",
          { type: "webhook", id: input.id },
          { origin: origin(before.url), from: before.owner?.id ?? null, to: ctx.actor.id },
        );
        return requireWebhook(input.id);
      });
    }),

  /** A new signing secret, returned this once; the old one stops working at once. */
  rotateSecret: tenantProcedure
    .meta({ permission: "webhook.manage" })
    .input(orgInput.extend({ id: webhookId }))
    .mutation(async ({ ctx, input }) => {
      const secret = newSecret();
      const sealed = await ctx.services.keys.seal(secretAad(currentTenant().tenantId, input.id), secret);
      return inTenantTransaction(async () => {
        await requireWebhook(input.id);
        await updateWebhook(input.id, { secret: sealed }, ctx.services.clock.now());
        await audit(ctx.actor, "webhook.rotate_secret", { type: "webhook", id: input.id });
        return { id: input.id, secret };
      });
    }),

  /** The delivery log of one webhook, newest first: status, response code, duration, error. */
  deliveries: tenantProcedure
    .meta({ permission: "webhook.manage" })
    .input(
      orgInput.extend({
        webhookId,
        status: z.enum(["pending", "delivered", "failed", "skipped"]).optional(),
        limit: z.number().int().min(1).max(200).default(50),
        offset: z.number().int().min(0).max(1_000_000).default(0),
      }),
    )
    .query(async ({ ctx, input }) => {
      await requireWebhook(input.webhookId);
      const reader = readerOf(ctx);
      const rows = await listDeliveries(input.webhookId, input);
      const out = [];
      for (const row of rows) out.push(await deliveryView(row, reader));
      return out;
    }),

  /** Sends a delivery's event again, as a new delivery (the log keeps both). */
  redeliver: tenantProcedure
    .meta({ permission: "webhook.manage" })
    .input(orgInput.extend({ id: deliveryId }))
    .mutation(async ({ ctx, input }) => {
      const tenantId = currentTenant().tenantId;
      const created = await inTenantTransaction(async () => {
        const original = await findDelivery(input.id);
        if (!original) throw notFound("Delivery");
        const hook = await requireWebhook(original.webhook_id);
        if (!hook.active) throw conflict("This webhook is paused; resume it before redelivering.");
        const now = ctx.services.clock.now();
        const id = newId("d");
        const sent = JSON.parse(original.payload) as { created_at: string; data: unknown };
        const payload = deliveryBody(id, original.event, Date.parse(sent.created_at), sent.data);
        await insertDelivery({
          id,
          webhook_id: hook.id,
          event: original.event,
          payload,
          status: "pending",
          attempts: 0,
          next_attempt_at: now,
          last_status_code: null,
          last_duration_ms: null,
          last_error: null,
          created_at: now,
          delivered_at: null,
        });
        await audit(
          ctx.actor,
          "webhook.redeliver",
          { type: "webhook", id: hook.id },
          { delivery_id: id, of: original.id, event: original.event },
        );
        return deliveryView((await findDelivery(id))!, readerOf(ctx));
      });
      ctx.services.webhooks.notify(tenantId, created.created_at);
      return created;
    }),
});
