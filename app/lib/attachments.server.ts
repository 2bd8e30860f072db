import type { AppLoadContext } from "@remix-run/node";
import { attempt } from "./api.server";
import { ifAllowed } from "./permissions.server";

type Api = AppLoadContext["api"];

/** A target's attachments, or null when the viewer's role lacks file.read (the page leaves the section out). */
export function loadAttachments(api: Api, org: string, targetType: "task" | "project" | "invoice", targetId: string) {
  return ifAllowed(() => api.files.list({ org, targetType, targetId }));
}

/** The action side of <Attachments>'s delete button (intent "file-delete"). */
export async function deleteAttachmentAction(request: Request, api: Api, org: string, fileId: string | undefined) {
  return { intent: "file" as const, ...(await attempt(request, () => api.files.delete({ org, id: fileId ?? "" }))) };
}
