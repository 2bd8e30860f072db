import { useEffect, useState } from "react";
import { Field } from "./form";

export interface RoleChoice {
  id: string;
  name: string;
  builtIn: boolean;
}

export interface ClientChoice {
  id: string;
  name: string;
}

export function RoleOptions({ roles }: { roles: RoleChoice[] }) {
  const custom = roles.filter((r) => !r.builtIn);
  const option = (r: RoleChoice) => (
    <option key={r.id} value={r.id}>
      {r.name}
    </option>
  );
  return (
    <>
      <optgroup label="Built-in roles">{roles.filter((r) => r.builtIn).map(option)}</optgroup>
      {custom.length > 0 && <optgroup label="Custom roles">{custom.map(option)}</optgroup>}
    </>
  );
}

/**
 * The built-in client role needs the client the contact belongs to. Once the page runs scripts the
 * client select appears only for that role; without them it is always there, so the form still works.
 */
function useClientTie(initialRole: string) {
  const [role, setRole] = useState(initialRole);
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return { role, setRole, showClient: !hydrated || role === "client" };
}

interface Props {
  roles: RoleChoice[];
  clients: ClientChoice[];
  defaultRole: string;
  defaultClientId?: string | null;
}

function ClientSelect({
  id,
  clients,
  defaultClientId,
  label,
}: {
  id?: string;
  clients: ClientChoice[];
  defaultClientId?: string | null;
  label?: string;
}) {
  return (
    <select id={id} name="clientId" aria-label={label} defaultValue={defaultClientId ?? ""}>
      <option value="">Client (for client contacts)…</option>
      {clients.map((c) => (
        <option key={c.id} value={c.id}>
          {c.name}
        </option>
      ))}
    </select>
  );
}

/** Role and client as labelled fields, for the invitation form. */
export function RoleFields(props: Props & { result: unknown }) {
  const tie = useClientTie(props.defaultRole);
  return (
    <div className="row">
      <Field name="role" label="Role" result={props.result}>
        <select id="f-role" name="role" value={tie.role} onChange={(e) => tie.setRole(e.target.value)}>
          <RoleOptions roles={props.roles} />
        </select>
      </Field>
      {tie.showClient && (
        <Field name="clientId" label="Client" result={props.result}>
          <ClientSelect id="f-clientId" clients={props.clients} defaultClientId={props.defaultClientId} />
        </Field>
      )}
    </div>
  );
}

/** The same pair inside a table row, named for the member it belongs to. */
export function InlineRoleSelects(props: Props & { who: string }) {
  const tie = useClientTie(props.defaultRole);
  return (
    <>
      <select name="role" aria-label={`Role of ${props.who}`} value={tie.role} onChange={(e) => tie.setRole(e.target.value)}>
        <RoleOptions roles={props.roles} />
      </select>
      {tie.showClient && <ClientSelect clients={props.clients} defaultClientId={props.defaultClientId} label={`Client of ${props.who}`} />}
    </>
  );
}
