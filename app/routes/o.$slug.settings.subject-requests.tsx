import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Field, FormMessage } from "~/components/form";
import { SubjectMatches, type ReviewRow } from "~/components/subject-matches";
import { attempt, readForm, formObject } from "~/lib/api.server";
import { subjectTerm } from "../../server/privacy/subject-term";

/**
 * Settings → Data subject requests (privacy.subject_requests). Three steps, each a plain form: a
 * search (GET, so the address can be reloaded), a review of exactly what will change, and the
 * redaction itself. Nothing is written before the last step.
 */

type Kind = "email" | "name";
const kindOf = (v: string | null | undefined): Kind => (v === "name" ? "name" : "email");

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const kind = kindOf(url.searchParams.get("kind"));
  const term = url.searchParams.get("term") ?? "";
  if (!term.trim()) return { kind, term, result: null };
  const result = await attempt(request, () => context.api.subjectRequests.search({ org: params.slug!, kind, term }));
  return { kind, term, result };
}

/** "table|field|rowId|fingerprint", as the checkboxes carry a chosen match. */
function parsePick(value: string) {
  const [table = "", field = "", rowId = "", fingerprint = ""] = value.split("|");
  return { table, field, rowId, fingerprint };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const f = formObject(form);
  const org = params.slug!;
  const kind = kindOf(f.kind);
  const term = f.term ?? "";
  const selections = form
    .getAll("pick")
    .filter((v): v is string => typeof v === "string")
    .map(parsePick);
  if (f.intent === "note") {
    const noted = await attempt(request, () =>
      context.api.subjectRequests.noteRedactedCopy({ org, invoiceId: f.invoiceId ?? "", note: f.note ?? "" }),
    );
    return { step: "noted" as const, noted };
  }
  if (f.intent === "redact") {
    const done = await attempt(request, () =>
      context.api.subjectRequests.redact({ org, kind, term, replacement: f.replacement ?? "", selections }),
    );
    return { step: "done" as const, done };
  }
  // Review: the search again, so the confirmation shows the text as it is now, with the change applied.
  const search = await attempt(request, () => context.api.subjectRequests.search({ org, kind, term }));
  if (!search.ok) return { step: "review" as const, error: search, rows: [], kind, term, replacement: f.replacement ?? "" };
  const replacement = (f.replacement ?? "").trim() || "[redacted]";
  const regex = subjectTerm(kind, term).regex;
  const rows: ReviewRow[] = selections.map((s) => {
    const now = search.data.matches.find((m) => m.table === s.table && m.field === s.field && m.rowId === s.rowId);
    return {
      ...s,
      label: now?.label ?? `${s.table}.${s.field}`,
      occurrences: now?.occurrences ?? 0,
      before: now?.excerpt ?? "",
      after: now ? now.excerpt.replace(regex(), () => replacement) : "",
      stale: !now || now.fingerprint !== s.fingerprint,
    };
  });
  return { step: "review" as const, error: null, rows, kind, term, replacement };
}

type Step = NonNullable<ReturnType<typeof useActionData<typeof action>>>;

export default function SubjectRequests() {
  const { kind, term, result } = useLoaderData<typeof loader>();
  const step = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  return (
    <div>
      <h1>Data subject requests</h1>
      <p className="narrow">
        When a person asks what this organisation holds about them, or asks to be erased, find them here by their whole email address or
        full name. Every match is listed with where it is; nothing changes until you choose matches, review the change and confirm it.
        Issued invoices are kept as issued, as tax law requires: record instead that you gave the person a redacted copy. Each redaction is
        recorded in the audit log, without the searched text.
      </p>
      <Form method="get" className="card narrow" aria-label="Search for a person">
        <Field name="kind" label="Search by">
          <select id="f-kind" name="kind" defaultValue={kind}>
            <option value="email">Email address (whole address)</option>
            <option value="name">Full name (whole words)</option>
          </select>
        </Field>
        <Field name="term" label="Email address or name" defaultValue={term} required maxLength={254} />
        <button type="submit" disabled={busy}>
          Search
        </button>
      </Form>
      {step?.step === "done" && <Done done={step.done} term={term} kind={kind} />}
      {step?.step === "noted" &&
        (step.noted.ok ? (
          <p className="notice" role="status">
            Note recorded in the audit log.
          </p>
        ) : (
          <FormMessage result={step.noted} />
        ))}
      {step?.step === "review" ? (
        <Review step={step} busy={busy} />
      ) : (
        result && step?.step !== "done" && <SubjectMatches result={result} kind={kind} term={term} busy={busy} />
      )}
    </div>
  );
}

function Done({ done, kind, term }: { done: Extract<Step, { step: "done" }>["done"]; kind: Kind; term: string }) {
  if (!done.ok) {
    return (
      <div className="card">
        <FormMessage result={done} />
        <Link to={`?kind=${kind}&term=${encodeURIComponent(term)}`}>Search again</Link>
      </div>
    );
  }
  return (
    <div className="card" role="status">
      <p className="notice">
        Redacted {done.data.redacted.length} field{done.data.redacted.length === 1 ? "" : "s"}. The audit log records where.
      </p>
      <ul>
        {done.data.redacted.map((r) => (
          <li key={`${r.table}.${r.field}.${r.rowId}`}>
            {r.table}.{r.field} {r.rowId} ({r.occurrences} occurrence{r.occurrences === 1 ? "" : "s"})
          </li>
        ))}
      </ul>
      <Link to={`?kind=${kind}&term=${encodeURIComponent(term)}`}>Search again to check what remains</Link>
    </div>
  );
}

function Review({ step, busy }: { step: Extract<Step, { step: "review" }>; busy: boolean }) {
  const back = `?kind=${step.kind}&term=${encodeURIComponent(step.term)}`;
  if (step.error) return <FormMessage result={step.error} />;
  if (!step.rows.length) {
    return (
      <p className="form-error" role="alert">
        Choose at least one match. <Link to={back}>Back to the matches</Link>
      </p>
    );
  }
  const stale = step.rows.some((r) => r.stale);
  return (
    <Form method="post" className="card" aria-label="Confirm the redaction">
      <h2>Review: exactly these fields will change</h2>
      <table>
        <thead>
          <tr>
            <th>Where</th>
            <th>Now</th>
            <th>After</th>
          </tr>
        </thead>
        <tbody>
          {step.rows.map((r) => (
            <tr key={`${r.table}.${r.field}.${r.rowId}`}>
              <td>
                {r.label} <small>{r.rowId}</small>
              </td>
              <td>{r.stale ? <em>Changed since your search</em> : r.before}</td>
              <td>
                {r.stale ? "" : r.after}
                {!r.stale && r.occurrences > 1 && <small> (and {r.occurrences - 1} more in this field)</small>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <input type="hidden" name="kind" value={step.kind} />
      <input type="hidden" name="term" value={step.term} />
      <input type="hidden" name="replacement" value={step.replacement} />
      {step.rows.map((r) => (
        <input
          key={`${r.table}.${r.field}.${r.rowId}`}
          type="hidden"
          name="pick"
          value={`${r.table}|${r.field}|${r.rowId}|${r.fingerprint}`}
        />
      ))}
      {stale && (
        <p className="form-error" role="alert">
          Some fields have changed since your search; the redaction would be refused. Search again.
        </p>
      )}
      <button type="submit" name="intent" value="redact" className="danger" disabled={busy || stale}>
        Redact {step.rows.length} field{step.rows.length === 1 ? "" : "s"}
      </button>{" "}
      <Link to={back}>Back to the matches</Link>
    </Form>
  );
}
