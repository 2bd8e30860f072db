export interface PermissionGroup {
  group: string;
  /** `reveals`: what the permission shows past sharing and rates (the catalogue's sentence), shown before it is granted. */
  permissions: { key: string; label: string; reveals: string | null }[];
}

export interface MatrixRole {
  id: string;
  name: string;
  builtIn: boolean;
  permissions: string[];
}

/** The column being edited: its boxes belong to the editor's <form> through the form attribute. */
export interface MatrixEditing {
  id: string;
  name: string;
  checked: ReadonlySet<string>;
  formId: string;
}

function Mark({ yes }: { yes: boolean }) {
  return yes ? (
    <span role="img" aria-label="Allowed">
      ✓
    </span>
  ) : (
    <span role="img" aria-label="Not allowed">
      –
    </span>
  );
}

/**
 * Rows are permissions grouped as the catalogue groups them, columns are roles. One table per group,
 * each repeating the role names, so no row is far from its column headings.
 */
export function RolesMatrix({ groups, roles, editing }: { groups: PermissionGroup[]; roles: MatrixRole[]; editing: MatrixEditing | null }) {
  const columns =
    editing && !roles.some((r) => r.id === editing.id)
      ? [...roles, { id: editing.id, name: editing.name, builtIn: false, permissions: [] }]
      : roles;
  const sets = new Map(columns.map((r) => [r.id, new Set(r.permissions)]));
  return (
    <div aria-label="Permissions by role" role="group">
      {groups.map((g) => (
        <table className="matrix" key={g.group}>
          <thead>
            <tr>
              <th className="group" scope="col">
                {g.group}
              </th>
              {columns.map((r) => (
                <th key={r.id} scope="col" className={`role${r.id === editing?.id ? " editing" : ""}`}>
                  {r.name}
                  {r.builtIn && <div className="muted">built-in</div>}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {g.permissions.map((p) => (
              <tr key={p.key}>
                <th scope="row">
                  {editing ? <label htmlFor={`perm-${p.key}`}>{p.label}</label> : p.label}
                  <code>{p.key}</code>
                  {p.reveals && (
                    <p className="reveals" role="note" id={`reveals-${p.key}`}>
                      <strong>Shows past sharing:</strong> {p.reveals}
                    </p>
                  )}
                </th>
                {columns.map((r) =>
                  r.id === editing?.id ? (
                    <td key={r.id} className="cell editing">
                      <input
                        type="checkbox"
                        id={`perm-${p.key}`}
                        name="permissions"
                        value={p.key}
                        form={editing.formId}
                        defaultChecked={editing.checked.has(p.key)}
                        aria-describedby={p.reveals ? `reveals-${p.key}` : undefined}
                      />
                    </td>
                  ) : (
                    <td key={r.id} className={`cell ${sets.get(r.id)!.has(p.key) ? "yes" : "no"}`}>
                      <Mark yes={sets.get(r.id)!.has(p.key)} />
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </div>
  );
}
