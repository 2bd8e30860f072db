import { redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import accessCss from "~/components/access-control.css?url";
import { Attachments, FILE_DELETE_INTENT } from "~/components/attachments";
import { ProjectForm } from "~/components/project-form";
import { SharingPanel } from "~/components/sharing-panel";
import { attempt, readForm, formObject, load, requestLocale } from "~/lib/api.server";
import { deleteAttachmentAction, loadAttachments } from "~/lib/attachments.server";
import { useOrgAccess } from "~/lib/permissions";
import { projectInput } from "~/lib/project-input.server";
import { loadSharing, sharingAction } from "~/lib/sharing.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: accessCss }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const [project, clients] = await load(request, () =>
    Promise.all([context.api.projects.get({ org, id: params.id! }), context.api.clients.list({ org })]),
  );
  // Null unless the viewer may share this project (project.share).
  const sharing = await load(request, () => loadSharing(context.api, org, params.id!));
  // Null when the role lacks file.read: the attachments section is left out.
  const files = await load(request, () => loadAttachments(context.api, org, "project", params.id!));
  return { org, project, clients, sharing, files };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const org = params.slug!;
  const id = params.id!;
  if (f.intent?.startsWith("sharing.")) return sharingAction(request, context.api, org, id, f);
  if (f.intent === FILE_DELETE_INTENT) return deleteAttachmentAction(request, context.api, org, f.fileId);
  if (f.intent === "archive" || f.intent === "restore") {
    const result = await attempt(request, () => context.api.projects.setArchived({ org, id, archived: f.intent === "archive" }));
    return result.ok ? redirect(`/o/${org}/projects/${id}`) : result;
  }
  const me = await load(request, () => context.api.members.me({ org }));
  const parsed = projectInput(f, { currency: me.currency, locale: requestLocale(request) });
  if (!parsed.ok) return parsed;
  const result = await attempt(request, () => context.api.projects.update({ org, id, ...parsed.input }));
  if (result.ok) throw redirect(`/o/${org}/projects`);
  return result;
}

export default function EditProject() {
  const { org, project, clients, sharing, files } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const sharingResult = result && "intent" in result && result.intent === "sharing" ? result : undefined;
  const fileResult = result && "intent" in result && result.intent === "file" ? result : undefined;
  const access = useOrgAccess();
  const canShare = access.can("project.share");
  const archived = project.archived_at !== null;
  return (
    <div>
      <div className="toolbar">
        <h1>{project.name}</h1>
        {access.can("task.read") && <Link to="activity">Activity report</Link>}
        {access.can("project.archive") && (
          <Form method="post">
            <input type="hidden" name="intent" value={archived ? "restore" : "archive"} />
            <button type="submit" className="secondary">
              {archived ? "Restore project" : "Archive project"}
            </button>
          </Form>
        )}
      </div>
      {archived && <p className="notice">This project is archived.</p>}
      {access.can("project.update") ? (
        <ProjectForm result={sharingResult || fileResult ? undefined : result} clients={clients} project={project} submitLabel="Save" />
      ) : (
        <p className="muted">
          {project.client_name} · {project.code ?? "no code"}
        </p>
      )}
      {files && <Attachments org={org} targetType="project" targetId={project.id} files={files} result={fileResult} />}
      {sharing && canShare && <SharingPanel sharing={sharing} clientName={project.client_name} result={sharingResult} />}
    </div>
  );
}
