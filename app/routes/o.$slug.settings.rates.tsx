import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useParams } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { PostButton } from "~/components/post-button";
import { attempt, readForm, formObject, load, requestLocale } from "~/lib/api.server";
import { formatAmountInput, formatMoney, minorDigits, parseAmountInput } from "~/lib/money";
import { useOrgAccess } from "~/lib/permissions";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const [rates, reviews] = await load(request, () =>
    Promise.all([context.api.rates.list({ org }), context.api.rates.scaleReviews({ org })]),
  );
  return { ...rates, reviews };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const f = formObject(await readForm(request));
  const org = params.slug!;
  const target = { org, memberId: f.memberId ?? "", projectId: f.projectId || null };
  if (f.intent === "review-keep" || f.intent === "review-fix") {
    const id = Number(f.reviewId);
    const decision = f.intent === "review-fix" ? ("fix" as const) : ("keep" as const);
    const result = await attempt(request, () => context.api.rates.resolveScaleReview({ org, id, decision }));
    return result.ok ? redirect(new URL(request.url).pathname) : result;
  }
  if (f.intent === "clear") {
    const result = await attempt(request, () => context.api.rates.clear(target));
    return result.ok ? redirect(new URL(request.url).pathname) : result;
  }
  // Typed in the organisation's currency (its own decimals: ¥10,000 is 10000 yen) and the person's number format.
  const { currency } = await load(request, () => context.api.members.me({ org }));
  const rate = parseAmountInput(f.rate, currency, requestLocale(request));
  if (!rate.ok) return { ok: false as const, message: "Please correct the marked fields.", fieldErrors: { rate: [rate.message] } };
  const result = await attempt(request, () => context.api.rates.set({ ...target, hourlyRate: rate.minor }));
  return result.ok ? redirect(new URL(request.url).pathname) : result;
}

export default function Rates() {
  const { members, projectRates, projects, reviews } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const access = useOrgAccess();
  const manage = access.can("time.rates.manage");
  const money = (minor: number) => formatMoney(minor, access.currency);
  // The value a rate field starts with, as the form reads it back (the viewer's format, the currency's decimals).
  const amountField = (minor: number | null) => (minor === null ? "" : formatAmountInput(minor, access.currency, access.numberLocale));
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

      {reviews.length > 0 && (
        <section className="card notice" aria-labelledby="scale-review">
          <h2 id="scale-review" style={{ marginTop: 0 }}>
            Rates to check: possibly stored at the wrong scale
          </h2>
          <p>
            Earlier versions read every rate typed here as hundredths, although {access.currency} has {minorDigits(access.currency)}{" "}
            decimals, so a rate typed as {money(reviews[0]!.suggested_rate)} may have been stored as {money(reviews[0]!.stored_rate)}.
            Nothing was changed by itself: keep each rate as it is, or fix it to the value that was probably typed. Fixing also re-prices
            the unbilled time that took the stored rate; invoiced time is never changed.
          </p>
          <table>
            <thead>
              <tr>
                <th>Rate</th>
                <th>Stored now</th>
                <th>Probably typed</th>
                <th>Unbilled entries at the stored rate</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {reviews.map((r) => (
                <tr key={r.id}>
                  <td>
                    {r.target === "project"
                      ? `Project ${r.project_name ?? ""}`
                      : `${r.member_name ?? "A member"}${r.project_name ? ` on ${r.project_name}` : " (default rate)"}`}
                  </td>
                  <td>{money(r.stored_rate)}/h</td>
                  <td>{money(r.suggested_rate)}/h</td>
                  <td>{r.unbilledEntries}</td>
                  <td className="nowrap">
                    {manage && (
                      <>
                        <PostButton
                          fields={{ intent: "review-fix", reviewId: String(r.id) }}
                          confirm={`Change this rate to ${money(r.suggested_rate)}/h and re-price its ${r.unbilledEntries} unbilled entries?`}
                          style={{ display: "inline" }}
                        >
                          Fix to {money(r.suggested_rate)}
                        </PostButton>{" "}
                        <PostButton
                          fields={{ intent: "review-keep", reviewId: String(r.id) }}
                          className="link"
                          style={{ display: "inline" }}
                        >
                          Keep {money(r.stored_rate)}
                        </PostButton>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}

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
          <Field
            name="rate"
            label={`Rate per hour (${access.currency})`}
            result={result}
            required
            hint={`e.g. ${amountField(12050 * 10 ** Math.max(minorDigits(access.currency) - 2, 0))}`}
          />
          <button type="submit">Save rate</button>
        </Form>
      )}
    </div>
  );
}
