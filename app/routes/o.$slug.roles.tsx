import { redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import accessCss from "~/components/access-control.css?url";
import { ConfirmForm } from "~/components/confirm-form";
import { FormMessage } from "~/components/form";
import { ROLE_FORM_ID, RoleEditor, StartFrom } from "~/components/role-editor";
import { RolesMatrix } from "~/components/roles-matrix";
import { attempt, readForm, formText, load } from "~/lib/api.server";
import { permissionGroups } from "~/lib/permission-groups.server";
import { useOrgAccess } from "~/lib/permissions";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: accessCss }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const roles = await load(request, () => context.api.roles.list({ org: params.slug! }));
  return { roles, groups: permissionGroups() };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const text = (name: string) => formText(form, name);
  const org = params.slug!;
  const intent = text("intent");
  if (intent === "delete") {
    return { intent, draft: null, ...(await attempt(request, () => context.api.roles.delete({ org, id: text("id") }))) };
  }
  const draft = { name: text("name"), description: text("description"), permissions: form.getAll("permissions").map(String) };
  const result =
    intent === "update"
      ? await attempt(request, () => context.api.roles.update({ org, id: text("id"), ...draft }))
      : await attempt(request, () => context.api.roles.create({ org, ...draft }));
  if (result.ok) throw redirect(`/o/${org}/roles?saved=${encodeURIComponent(draft.name)}`);
  // The page is drawn again from what was sent, so a refused save loses none of the ticks.
  return { intent, draft, ...result };
}

export default function Roles() {
  const { roles, groups } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const manage = useOrgAccess().can("role.manage");
  const editId = manage ? params.get("edit") : null;
  const from = params.get("from");
  const edited = roles.find((r) => r.id === editId && !r.builtIn);
  const isNew = editId === "new";
  const draft = result?.draft;
  const editing =
    edited || isNew
      ? {
          id: edited?.id ?? "new",
          name: edited?.name ?? "New role",
          checked: new Set(draft?.permissions ?? edited?.permissions ?? roles.find((r) => r.id === from)?.permissions ?? []),
          formId: ROLE_FORM_ID,
        }
      : null;
  const custom = roles.filter((r) => !r.builtIn);
  return (
    <div>
      <div className="toolbar">
        <h1>Roles</h1>
        {manage && !editing && (
          <Link to="?edit=new" className="button">
            New role
          </Link>
        )}
      </div>
      <p className="muted">
        Built-in roles are fixed. Custom roles hold exactly the permissions ticked for them; a change applies to their members on their next
        request. Nobody can create or edit a role with permissions they do not hold themselves.
      </p>
      {params.get("saved") && !editing && (
        <p className="notice" role="status">
          Role “{params.get("saved")}” saved.
        </p>
      )}
      {editing && (
        <>
          <RoleEditor
            key={editing.id}
            id={edited?.id ?? null}
            name={draft?.name ?? edited?.name ?? ""}
            description={draft?.description ?? edited?.description ?? ""}
            result={result?.intent !== "delete" ? result : undefined}
          />
          {isNew && <StartFrom roles={roles} from={from} />}
        </>
      )}
      <h2>Custom roles</h2>
      <FormMessage result={result?.intent === "delete" ? result : undefined} />
      {custom.length === 0 ? (
        <p className="muted">No custom roles yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Description</th>
              <th>Members</th>
              <th>Permissions</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {custom.map((r) => (
              <tr key={r.id}>
                <td>{r.name}</td>
                <td>{r.description || "—"}</td>
                <td>{r.members}</td>
                <td>{r.permissions.length}</td>
                <td className="inline-form">
                  {manage && (
                    <>
                      <Link to={`?edit=${r.id}`} className="button secondary" aria-label={`Edit ${r.name}`}>
                        Edit
                      </Link>
                      <ConfirmForm
                        open="Delete…"
                        question={`Delete the role ${r.name}?`}
                        confirm={`Delete ${r.name}`}
                        fields={{ intent: "delete", id: r.id }}
                      />
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Permissions by role</h2>
      {/* Boxes are drawn with defaultChecked: a new column or starting point needs fresh ones. */}
      <RolesMatrix key={`${editId}:${from}`} groups={groups} roles={roles} editing={editing} />
    </div>
  );
}
