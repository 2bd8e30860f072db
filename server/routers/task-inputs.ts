import { z } from "zod";
import { PRIORITIES } from "../../db/tenant/tasks/task-view";
import { idSchema } from "./inputs";

/** Input pieces shared by the tasks, requests, workflow, labels, comments and activity routers. */
export const taskId = idSchema("k");
export const statusId = idSchema("w");
export const labelId = idSchema("l");
export const commentId = idSchema("m");
export const projectId = idSchema("p");
export const userId = idSchema("u");

export const colorSchema = z
  .string()
  .trim()
  .regex(/^#[0-9a-fA-F]{6}$/, "Use a colour such as #3366cc.")
  .transform((c) => c.toLowerCase());

/** A calendar date; zod's ISO date refuses impossible days such as 2026-02-30. */
export const calendarDate = z.iso.date({ error: "Use a date such as 2026-05-31." });

export const prioritySchema = z.enum(PRIORITIES);
export const categorySchema = z.enum(["todo", "doing", "done"]);
export const kindSchema = z.enum(["task", "request"]);

export const descriptionSchema = z.string().max(20_000, "Use at most 20,000 characters.");
export const commentBody = z.string().trim().min(1, "Required.").max(10_000, "Use at most 10,000 characters.");
/** Seconds; at most 10,000 hours. */
export const estimateSchema = z
  .number()
  .int("Use whole seconds.")
  .min(0)
  .max(10_000 * 3600);

export const assigneeIds = z.array(userId).max(20, "Assign at most 20 people.");
export const labelIds = z.array(labelId).max(20, "Use at most 20 labels.");

/** Offset paging for lists that show a total. */
export const offsetPage = {
  limit: z.number().int().min(1).max(200).default(50),
  offset: z.number().int().min(0).max(1_000_000).default(0),
};
