import { Form, Link, useNavigation } from "@remix-run/react";
import { Field, FormMessage } from "./form";
import type { MatrixRole } from "./roles-matrix";

export const ROLE_FORM_ID = "role-editor";

/**
 * Name and description of the role being created or edited; its permissions are the ticked boxes in
 * the matrix column below, which belong to this form.
 */
export function RoleEditor(props: { id: string | null; name: string; description: string; result: unknown }) {
  const busy = useNavigation().state !== "idle";
  return (
    <Form method="post" id={ROLE_FORM_ID} className="card narrow">
      <h2>{props.id ? `Edit ${props.name}` : "New role"}</h2>
      <FormMessage result={props.result} />
      <input type="hidden" name="intent" value={props.id ? "update" : "create"} />
      {props.id && <input type="hidden" name="id" value={props.id} />}
      <Field name="name" label="Role name" result={props.result} defaultValue={props.name} required maxLength={200} />
      <Field name="description" label="Description" result={props.result}>
        <textarea id="f-description" name="description" maxLength={500} defaultValue={props.description} />
      </Field>
      <p className="muted">Tick this role's permissions in the highlighted column below, then save.</p>
      <div className="inline-form">
        <button type="submit" disabled={busy}>
          {props.id ? "Save role" : "Create role"}
        </button>
        <Link to="." className="button secondary">
          Cancel
        </Link>
      </div>
    </Form>
  );
}

/** Start a new role from an existing one's permissions (a GET form: it only changes the page address). */
export function StartFrom({ roles, from }: { roles: MatrixRole[]; from: string | null }) {
  return (
    <Form method="get" className="inline-form">
      <input type="hidden" name="edit" value="new" />
      <label htmlFor="from">Start from</label>
      <select id="from" name="from" defaultValue={from ?? ""}>
        <option value="">No permissions</option>
        {roles.map((r) => (
          <option key={r.id} value={r.id}>
            {r.name}
          </option>
        ))}
      </select>
      <button type="submit" className="secondary">
        Copy permissions
      </button>
    </Form>
  );
}
