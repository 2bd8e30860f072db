import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useParams } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { PostButton } from "~/components/post-button";
import { attempt, readForm, formObject, load, parseMoney } from "~/lib/api.server";
import { formatMoney } from "~/lib/format";
import { useOrgAccess } from "~/lib/permissions";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  return load(request, () => context.api.rates.list({ org: params.slug! }));
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const org = params.slug!;
  const target = { org, memberId: f.memberId ?? "", projectId: f.projectId || null };
  if (f.intent === "clear") {
    const result = await attempt(request, () => context.api.rates.clear(target));
    return result.ok ? redirect(new URL(request.url).pathname) : result;
  }
  const hourlyRate = parseMoney(f.rate);
  if (hourlyRate === undefined || (f.rate ?? "").trim() === "") {
    return {
      ok: false as const,
      message: "Please correct the marked fields.",
      fieldErrors: { rate: ["Enter an amount such as 95 or 120.50."] },
    };
  }
  const result = await attempt(request, () => context.api.rates.set({ ...target, hourlyRate }));
  return result.ok ? redirect(new URL(request.url).pathname) : result;
}

/** The value an amount field starts with: plain digits, as the form reads them back. */
const amountField = (minor: number | null) => (minor === null ? "" : (minor / 100).toFixed(2));

export default function Rates() {
  const { members, projectRates, projects } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const access = useOrgAccess();
  const manage = access.can("time.rates.manage");
  const money = (minor: number) => formatMoney(minor, access.currency);
  const slug = useParams().slug!;
  return (
    <div>
      <div className="toolbar">
        <h1>Hourly rates</h1>
        <Link to={`/o/${slug}/time`}>Time</Link>
      </div>
      <p className="muted">
        A time entry takes the first rate that applies, in this order: the member&apos;s rate on that project, the project&apos;s own rate,
        the member&apos;s default rate, otherwise nothing. The rate is stored on the entry when it is written, so changing a rate does not
        change time already logged.
      </p>
      <FormMessage result={result} />

      <h2>Default rate per member</h2>
      <table>
        <thead>
          <tr>
            <th>Member</th>
            <th>Role</th>
            <th>Default rate per hour</th>
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.user_id}>
              <td>
                {m.name} <small className="muted">{m.email}</small>
              </td>
              <td>{m.role}</td>
              <td>
                {manage ? (
                  <Form method="post" className="row" style={{ alignItems: "center" }}>
                    <input type="hidden" name="memberId" value={m.user_id} />
                    <input
                      name="rate"
                      defaultValue={amountField(m.default_rate)}
                      placeholder="none"
                      aria-label={`Default rate of ${m.name}`}
                    />
                    <button type="submit" name="intent" value="set" className="secondary">
                      Save
                    </button>
                    {m.default_rate !== null && (
                      <button type="submit" name="intent" value="clear" className="link">
                        Remove
                      </button>
                    )}
                  </Form>
                ) : m.default_rate === null ? (
                  "—"
                ) : (
                  money(m.default_rate)
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Member rates on projects</h2>
      {projectRates.length === 0 ? (
        <p className="muted">No member has a rate of their own on a project.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Member</th>
              <th>Project</th>
              <th>Rate per hour</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {projectRates.map((r) => (
              <tr key={`${r.member_id}/${r.project_id}`}>
                <td>{r.member_name}</td>
                <td>{r.project_name}</td>
                <td>{money(r.hourly_rate)}</td>
                <td>
                  {manage && (
                    <PostButton fields={{ intent: "clear", memberId: r.member_id, projectId: r.project_id }} className="link">
                      Remove
                    </PostButton>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {manage && (
        <Form method="post" className="card narrow" style={{ marginTop: 16 }}>
          <h2 style={{ marginTop: 0 }}>Set a member&apos;s rate on a project</h2>
          <input type="hidden" name="intent" value="set" />
          <Field name="memberId" label="Member" result={result}>
            <select id="f-memberId" name="memberId" required defaultValue="">
              <option value="">Choose a member…</option>
              {members.map((m) => (
                <option key={m.user_id} value={m.user_id}>
                  {m.name}
                </option>
              ))}
            </select>
          </Field>
          <Field name="projectId" label="Project" result={result}>
            <select id="f-projectId" name="projectId" required defaultValue="">
              <option value="">Choose a project…</option>
              {projects.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} {p.hourly_rate > 0 ? `(project rate ${money(p.hourly_rate)})` : "(no project rate)"}
                </option>
              ))}
            </select>
          </Field>
          <Field name="rate" label="Rate per hour" result={result} required />
          <button type="submit">Save rate</button>
        </Form>
      )}
    </div>
  );
}
