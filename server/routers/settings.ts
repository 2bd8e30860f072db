import { z } from "zod";
import { inTenantTransaction } from "../../db/tenant/context";
import { getOrgSettings, updateOrgSettings } from "../../db/tenant/settings";
import { audit } from "../audit/audit";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { requireCurrencyChangeable } from "./currency-change";
import { orgInput } from "./inputs";

/**
 * The time zones offered and accepted: the server's Intl list plus UTC plus the current IANA names of
 * the legacy ids Node's ICU still lists (it has "Asia/Calcutta" but not "Asia/Kolkata"). Intl accepts
 * both spellings; the legacy ones stay so stored values remain valid.
 */
const CURRENT_NAMES: Record<string, string> = {
  "Asia/Calcutta": "Asia/Kolkata",
  "Asia/Katmandu": "Asia/Kathmandu",
  "Asia/Saigon": "Asia/Ho_Chi_Minh",
  "Asia/Rangoon": "Asia/Yangon",
  "Europe/Kiev": "Europe/Kyiv",
  "Africa/Asmera": "Africa/Asmara",
  "Atlantic/Faeroe": "Atlantic/Faroe",
  "Pacific/Truk": "Pacific/Chuuk",
  "Pacific/Ponape": "Pacific/Pohnpei",
  "America/Godthab": "America/Nuuk",
};
const icuZones = Intl.supportedValuesOf("timeZone");
export const TIME_ZONES: readonly string[] = [
  ...new Set(["UTC", ...icuZones, ...icuZones.flatMap((z) => (CURRENT_NAMES[z] ? [CURRENT_NAMES[z]] : []))]),
].sort((a, b) => (a === "UTC" ? -1 : b === "UTC" ? 1 : a.localeCompare(b)));
const zones = new Set(TIME_ZONES);
/**
 * ICU's list leaves out ISO 4217's units of account with four decimals (CLF, UYW), which
 * Intl.NumberFormat formats all the same; Chilean invoices in Unidad de Fomento are real.
 */
export const CURRENCIES: readonly string[] = [...Intl.supportedValuesOf("currency"), "CLF", "UYW"].sort();
const currencies = new Set(CURRENCIES);
export const AUDIT_RETENTION_DAYS = { min: 30, max: 3650 } as const;

export const settingsInput = z.object({
  timeZone: z.string().refine((z) => zones.has(z), "Choose a time zone from the list (e.g. Europe/Berlin)."),
  currency: z.string().refine((c) => currencies.has(c), "Use an ISO 4217 currency code (e.g. EUR)."),
  weekStart: z.number().int().min(1).max(7),
  auditRetentionDays: z
    .number()
    .int("Use a whole number of days.")
    .min(AUDIT_RETENTION_DAYS.min, `Keep the audit log at least ${AUDIT_RETENTION_DAYS.min} days.`)
    .max(AUDIT_RETENTION_DAYS.max, `Keep the audit log at most ${AUDIT_RETENTION_DAYS.max} days (10 years).`),
  digestHour: z.number().int("Choose a whole hour.").min(0, "Choose an hour from 0 to 23.").max(23, "Choose an hour from 0 to 23."),
});

/**
 * Organisation settings: the time zone that sets day and week boundaries, the invoice currency, how
 * long the audit log is kept (the retention job deletes older rows) and the local hour of digests.
 */
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
        if (changes.currency !== undefined) await requireCurrencyChangeable((await getOrgSettings()).currency, changes.currency);
        await updateOrgSettings(changes, ctx.services.clock.now());
        await audit(ctx.actor, "org.settings_update", { type: "org", id: ctx.tenant.id }, changes);
        return getOrgSettings();
      }),
    ),
});
