import { redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import accessCss from "~/components/access-control.css?url";
import { ConfirmForm } from "~/components/confirm-form";
import { FormMessage } from "~/components/form";
import { InvitationList, InviteForm } from "~/components/invitation-list";
import { MemberRow } from "~/components/member-row";
import { attempt, readForm, formObject, load } from "~/lib/api.server";
import { useOrgAccess } from "~/lib/permissions";
import { ifAllowed } from "~/lib/permissions.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: accessCss }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const [members, roles, clients, invitations] = await load(request, () =>
    Promise.all([
      context.api.members.list({ org }),
      context.api.roles.list({ org }),
      // Both are optional parts of the page: a role without them sees the member list only.
      ifAllowed(() => context.api.clients.list({ org })),
      ifAllowed(() => context.api.invitations.list({ org })),
    ]),
  );
  return {
    members,
    roles: roles.map((r) => ({ id: r.id, name: r.name, builtIn: r.builtIn })),
    clients: (clients ?? []).map((c) => ({ id: c.id, name: c.name })),
    invitations,
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const org = params.slug!;
  // Only the client role is tied to a client; a select left filled for another role is ignored.
  const clientId = f.role === "client" && f.clientId ? f.clientId : null;
  switch (f.intent) {
    case "role":
      return {
        intent: "role",
        target: f.userId,
        ...(await attempt(request, () => context.api.members.setRole({ org, userId: f.userId ?? "", role: f.role ?? "", clientId }))),
      };
    case "remove":
      return {
        intent: "remove",
        target: f.userId,
        ...(await attempt(request, () => context.api.members.remove({ org, userId: f.userId ?? "" }))),
      };
    case "leave": {
      const result = await attempt(request, () => context.api.members.leave({ org }));
      if (result.ok) throw redirect("/orgs");
      return { intent: "leave", target: null, ...result };
    }
    case "invite": {
      const result = await attempt(request, () =>
        context.api.invitations.create({ org, email: f.email ?? "", role: f.role ?? "", clientId }),
      );
      return { intent: "invite", target: result.ok ? result.data.email : null, ...result };
    }
    case "resend":
      return {
        intent: "invitation",
        target: f.id,
        ...(await attempt(request, () => context.api.invitations.resend({ org, id: f.id ?? "" }))),
      };
    case "revoke":
      return {
        intent: "invitation",
        target: f.id,
        ...(await attempt(request, () => context.api.invitations.revoke({ org, id: f.id ?? "" }))),
      };
    default:
      throw new Response("Unknown action.", { status: 400 });
  }
}

export default function Members() {
  const { members, roles, clients, invitations } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const access = useOrgAccess();
  const orgName = access.org?.name ?? "this organisation";
  const about = (intent: string) => (result?.intent === intent ? result : undefined);
  return (
    <div>
      <div className="toolbar">
        <h1>Members</h1>
        {access.can("org.leave") && access.me?.role !== "support" && (
          <ConfirmForm
            open="Leave organisation…"
            question={`Leave ${orgName}? You lose access at once; someone must invite you again to come back.`}
            confirm="Leave organisation"
            fields={{ intent: "leave" }}
          />
        )}
      </div>
      <FormMessage result={about("leave") ?? about("remove")} />
      <table aria-label="Members">
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Role</th>
            <th>Client</th>
            <th>Joined</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <MemberRow
              key={m.userId}
              member={m}
              orgName={orgName}
              isSelf={m.userId === access.me?.userId}
              canAssign={access.can("member.role.assign")}
              canRemove={access.can("member.remove")}
              roles={roles}
              clients={clients}
              result={result?.intent === "role" && result.target === m.userId ? result : undefined}
            />
          ))}
        </tbody>
      </table>
      {invitations && (
        <section aria-label="Invitations" className="invitations">
          <InviteForm
            roles={roles}
            clients={clients}
            result={about("invite")}
            sentTo={about("invite")?.ok ? (about("invite")?.target ?? null) : null}
          />
          <h2>Invitations</h2>
          <InvitationList invitations={invitations} clients={clients} result={about("invitation")} />
        </section>
      )}
    </div>
  );
}
