import { parseHours, type ActionFailure } from "./api.server";
import { parseAmountInput } from "./money";

type Status = "planned" | "active" | "on_hold" | "completed";

/**
 * Form strings → the projects procedures' input; amounts the form cannot read are field errors here.
 * The rate is read in the organisation's currency (its decimals) and the person's number format.
 * A form shown without rate fields (the role cannot see rates) leaves them out, so they stay as they are.
 */
export function projectInput(f: Record<string, string>, money: { currency: string; locale: string }) {
  const showsRates = "hourlyRate" in f;
  // A blank rate means "no project rate" (0), as before.
  const rate = showsRates && (f.hourlyRate ?? "").trim() !== "" ? parseAmountInput(f.hourlyRate, money.currency, money.locale) : null;
  const hourlyRate = rate === null ? 0 : rate.ok ? rate.minor : undefined;
  const budgetSeconds = showsRates ? parseHours(f.budgetHours) : null;
  const fieldErrors: ActionFailure["fieldErrors"] = {};
  if (rate && !rate.ok) fieldErrors.hourlyRate = [rate.message];
  if (budgetSeconds === undefined) fieldErrors.budgetHours = ["Enter hours such as 40 or 12.5."];
  if (hourlyRate === undefined || budgetSeconds === undefined) {
    return { ok: false as const, message: "Please correct the marked fields.", fieldErrors };
  }
  return {
    ok: true as const,
    input: {
      clientId: f.clientId ?? "",
      name: f.name ?? "",
      code: f.code ?? null,
      status: (f.status ?? "active") as Status,
      ...(showsRates && { hourlyRate, budgetSeconds }),
    },
  };
}
