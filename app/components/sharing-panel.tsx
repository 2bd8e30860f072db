import { Form, useNavigation } from "@remix-run/react";
import type { SharingData } from "~/lib/sharing.server";
import { errorsOf, FormMessage } from "./form";

const KIND_LABEL = { member: "Member", role: "Role", client: "Client" } as const;

function Hidden({ fields }: { fields: Record<string, string> }) {
  return (
    <>
      {Object.entries(fields).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
    </>
  );
}

/**
 * Who sees this project besides those who see every project: members, roles, the project's own
 * client, or everyone through the shared space. Shown only to roles with project.share.
 */
export function SharingPanel({ sharing, clientName, result }: { sharing: SharingData; clientName: string; result: unknown }) {
  const busy = useNavigation().state !== "idle";
  const shared = new Set(sharing.shares.map((s) => `${s.kind}:${s.id}`));
  const open = <T extends { id: string }>(kind: string, list: T[]) => list.filter((x) => !shared.has(`${kind}:${x.id}`));
  const members = open("member", sharing.members);
  const roles = open("role", sharing.roles);
  const clientShared = shared.has(`client:${sharing.clientId}`);
  return (
    <section className="card" aria-labelledby="sharing-heading">
      <h2 id="sharing-heading">Sharing</h2>
      <FormMessage result={result} />
      {result !== undefined && !errorsOf(result) && (
        <p className="notice" role="status">
          Sharing updated.
        </p>
      )}
      <Form method="post" className="inline-form">
        <Hidden fields={{ intent: "sharing.space", shared: sharing.sharedSpace ? "0" : "1" }} />
        <span>
          {sharing.sharedSpace ? "In the shared space: every member (not client contacts) sees this project." : "Not in the shared space."}
        </span>
        <button type="submit" className="secondary" disabled={busy}>
          {sharing.sharedSpace ? "Remove from shared space" : "Place in shared space"}
        </button>
      </Form>
      <h3>Shared with</h3>
      {sharing.shares.length === 0 ? (
        <p className="muted">Nobody besides those who see every project.</p>
      ) : (
        <table>
          <tbody>
            {sharing.shares.map((s) => (
              <tr key={`${s.kind}:${s.id}`}>
                <td>{KIND_LABEL[s.kind]}</td>
                <td>{s.label}</td>
                <td>
                  <Form method="post">
                    <Hidden fields={{ intent: "sharing.remove", kind: s.kind, id: s.id }} />
                    <button type="submit" className="secondary" aria-label={`Stop sharing with ${s.label}`} disabled={busy}>
                      Remove
                    </button>
                  </Form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {/* Keyed by the shares, so after each one the select starts again from its prompt. */}
      <Form method="post" className="inline-form" style={{ marginTop: 12 }} key={[...shared].join()}>
        <input type="hidden" name="intent" value="sharing.add" />
        <label htmlFor="share-subject">Share with</label>
        <select id="share-subject" name="subject" required defaultValue="">
          <option value="" disabled>
            Choose a member, role or client…
          </option>
          {members.length > 0 && (
            <optgroup label="Members">
              {members.map((m) => (
                <option key={m.id} value={`member:${m.id}`}>
                  {m.name} ({m.email})
                </option>
              ))}
            </optgroup>
          )}
          {roles.length > 0 && (
            <optgroup label="Everyone with the role">
              {roles.map((r) => (
                <option key={r.id} value={`role:${r.id}`}>
                  {r.name}
                </option>
              ))}
            </optgroup>
          )}
          {!clientShared && (
            <optgroup label="The project's client">
              <option value={`client:${sharing.clientId}`}>{clientName} (its client contacts)</option>
            </optgroup>
          )}
        </select>
        <button type="submit" disabled={busy}>
          Share
        </button>
      </Form>
    </section>
  );
}
