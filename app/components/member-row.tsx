import { Form } from "@remix-run/react";
import { formatDateTime } from "~/lib/format";
import { ConfirmForm } from "./confirm-form";
import { errorsOf, FormMessage } from "./form";
import { InlineRoleSelects, type ClientChoice, type RoleChoice } from "./role-select";

export interface MemberView {
  userId: string;
  name: string;
  email: string;
  role: string;
  roleName: string;
  clientId: string | null;
  clientName: string | null;
  joinedAt: number;
}

export function MemberRow(props: {
  member: MemberView;
  orgName: string;
  isSelf: boolean;
  canAssign: boolean;
  canRemove: boolean;
  roles: RoleChoice[];
  clients: ClientChoice[];
  /** The last action's result when it was about this member. */
  result?: unknown;
}) {
  const m = props.member;
  return (
    <>
      <tr>
        <td>
          {m.name}
          {props.isSelf && <span className="muted"> (you)</span>}
        </td>
        <td>{m.email}</td>
        <td>
          {props.canAssign ? (
            <Form method="post" className="inline-form">
              <input type="hidden" name="intent" value="role" />
              <input type="hidden" name="userId" value={m.userId} />
              <InlineRoleSelects
                roles={props.roles}
                clients={props.clients}
                defaultRole={m.role}
                defaultClientId={m.clientId}
                who={m.name}
              />
              <button type="submit" className="secondary">
                Change
              </button>
            </Form>
          ) : (
            m.roleName
          )}
        </td>
        <td>{m.clientName ?? "—"}</td>
        <td className="nowrap">{formatDateTime(m.joinedAt)}</td>
        <td>
          {props.canRemove && !props.isSelf && (
            <ConfirmForm
              open="Remove…"
              question={`Remove ${m.name} from ${props.orgName}? They lose access at once.`}
              confirm={`Remove ${m.name}`}
              fields={{ intent: "remove", userId: m.userId }}
            />
          )}
        </td>
      </tr>
      {errorsOf(props.result) && (
        <tr>
          <td colSpan={6}>
            <FormMessage result={props.result} />
          </td>
        </tr>
      )}
    </>
  );
}
