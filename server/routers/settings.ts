import { z } from "zod";
import { inTenantTransaction } from "../../db/tenant/context";
import { getOrgSettings, updateOrgSettings } from "../../db/tenant/settings";
import { audit } from "../audit/audit";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { orgInput } from "./inputs";

const zones = new Set(Intl.supportedValuesOf("timeZone").concat("UTC"));
const currencies = new Set(Intl.supportedValuesOf("currency"));

export const settingsInput = z.object({
  timeZone: z.string().refine((z) => zones.has(z), "Choose a time zone from the list (e.g. Europe/Berlin)."),
  currency: z.string().refine((c) => currencies.has(c), "Use an ISO 4217 currency code (e.g. EUR)."),
  weekStart: z.number().int().min(1).max(7),
});

/** Organisation settings: the time zone that sets day and week boundaries, the invoice currency. */
export const settingsRouter = router({
  get: tenantProcedure
    .meta({ permission: "org.settings" })
    .input(orgInput)
    .query(() => getOrgSettings()),

  update: tenantProcedure
    .meta({ permission: "org.settings" })
    .input(orgInput.extend(settingsInput.partial().shape))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const { org: _org, ...changes } = input;
        await updateOrgSettings(changes, Date.now());
        await audit(ctx.actor, "org.settings_update", { type: "org", id: ctx.tenant.id }, changes);
        return getOrgSettings();
      }),
    ),
});
