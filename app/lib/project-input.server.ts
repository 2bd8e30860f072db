import { parseHours, parseMoney, type ActionFailure } from "./api.server";

type Status = "planned" | "active" | "on_hold" | "completed";

/**
 * Form strings → the projects procedures' input; amounts the form cannot read are field errors here.
 * A form shown without rate fields (the role cannot see rates) leaves them out, so they stay as they are.
 */
export function projectInput(f: Record<string, string>) {
  const showsRates = "hourlyRate" in f;
  const hourlyRate = showsRates ? parseMoney(f.hourlyRate) : 0;
  const budgetSeconds = showsRates ? parseHours(f.budgetHours) : null;
  const fieldErrors: ActionFailure["fieldErrors"] = {};
  if (hourlyRate === undefined) fieldErrors.hourlyRate = ["Enter an amount such as 95 or 120.50."];
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
