import { Form, useNavigation } from "@remix-run/react";
import { formatDateTime } from "~/lib/format";
import { Field, FormMessage } from "./form";
import { PostButton } from "./post-button";
import { RoleFields, type ClientChoice, type RoleChoice } from "./role-select";

export interface InvitationView {
  id: string;
  email: string;
  roleName: string;
  clientId: string | null;
  invitedBy: string | null;
  sentAt: number;
  expiresAt: number;
  state: "pending" | "accepted" | "revoked" | "expired";
}

const STATE_LABEL = { pending: "Pending", accepted: "Accepted", revoked: "Revoked", expired: "Expired" } as const;

export function InviteForm(props: { roles: RoleChoice[]; clients: ClientChoice[]; result: unknown; sentTo: string | null }) {
  const busy = useNavigation().state !== "idle";
  return (
    // A new key after each invitation sent empties the form for the next one.
    <Form method="post" className="card narrow" key={props.sentTo ?? "form"}>
      <h2>Invite someone</h2>
      {props.sentTo && (
        <p className="notice" role="status">
          Invitation sent to {props.sentTo}.
        </p>
      )}
      <FormMessage result={props.result} />
      <input type="hidden" name="intent" value="invite" />
      <Field name="email" label="Email" type="email" result={props.result} required autoComplete="off" />
      <RoleFields roles={props.roles} clients={props.clients} defaultRole="member" result={props.result} />
      <button type="submit" disabled={busy}>
        Send invitation
      </button>
    </Form>
  );
}

function InvitationButton({ id, intent, label, danger }: { id: string; intent: string; label: string; danger?: boolean }) {
  return (
    <PostButton fields={{ intent, id }} className={danger ? "danger" : "secondary"}>
      {label}
    </PostButton>
  );
}

export function InvitationList(props: { invitations: InvitationView[]; clients: ClientChoice[]; result: unknown }) {
  if (props.invitations.length === 0) return <p className="muted">No invitations yet.</p>;
  const clientName = (id: string | null) => props.clients.find((c) => c.id === id)?.name;
  return (
    <>
      <FormMessage result={props.result} />
      <table aria-label="Invitations">
        <thead>
          <tr>
            <th>Email</th>
            <th>Role</th>
            <th>Invited by</th>
            <th>Sent</th>
            <th>Expires</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {props.invitations.map((v) => (
            <tr key={v.id}>
              <td>{v.email}</td>
              <td>
                {v.roleName}
                {v.clientId && <span className="muted"> · {clientName(v.clientId) ?? "a client"}</span>}
              </td>
              <td>{v.invitedBy ?? "—"}</td>
              <td className="nowrap">{formatDateTime(v.sentAt)}</td>
              <td className="nowrap">{formatDateTime(v.expiresAt)}</td>
              <td>
                <span className={`state ${v.state}`}>{STATE_LABEL[v.state]}</span>
              </td>
              <td className="inline-form">
                {(v.state === "pending" || v.state === "expired") && <InvitationButton id={v.id} intent="resend" label="Resend" />}
                {v.state === "pending" && <InvitationButton id={v.id} intent="revoke" label="Revoke" danger />}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
