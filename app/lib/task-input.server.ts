import { parseHours, type ActionFailure } from "./api.server";
import type { Priority } from "./tasks";

/** Every non-empty value of a repeated field (checkboxes, multi-selects). */
export const formStrings = (form: FormData, key: string) => form.getAll(key).filter((v): v is string => typeof v === "string" && v !== "");

/** Task form fields → the tasks procedures' input; an estimate the form cannot read is a field error here. */
export function taskInput(form: FormData) {
  const f = (key: string) => {
    const v = form.get(key);
    return typeof v === "string" ? v : "";
  };
  const estimateSeconds = parseHours(f("estimateHours"));
  if (estimateSeconds === undefined) {
    const failure: ActionFailure = {
      ok: false,
      message: "Please correct the marked fields.",
      fieldErrors: { estimateHours: ["Enter hours such as 2 or 1.5."] },
    };
    return failure;
  }
  return {
    ok: true as const,
    input: {
      title: f("title"),
      description: f("description"),
      priority: (f("priority") || "normal") as Priority,
      dueDate: f("dueDate") || null,
      estimateSeconds,
      labelIds: formStrings(form, "labelIds"),
    },
    assigneeIds: formStrings(form, "assigneeIds"),
  };
}
