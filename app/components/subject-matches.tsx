import { Form } from "@remix-run/react";
import { FormMessage } from "~/components/form";
import type { SubjectMatch } from "../../server/privacy/subject-search";

export interface ReviewRow {
  table: string;
  field: string;
  rowId: string;
  fingerprint: string;
  label: string;
  occurrences: number;
  before: string;
  after: string;
  stale: boolean;
}

type SearchResult =
  | { ok: true; data: { matches: SubjectMatch[]; truncated: boolean } }
  | { ok: false; message: string; fieldErrors: Record<string, string[] | undefined> };

/**
 * The matches of a search, each with a checkbox unless it may not be changed here, in which case the
 * reason stands in its place. Issued invoices get a small form to record a redacted copy instead.
 */
export function SubjectMatches({ result, kind, term, busy }: { result: SearchResult; kind: string; term: string; busy: boolean }) {
  if (!result.ok) return <FormMessage result={result} />;
  const { matches, truncated } = result.data;
  if (!matches.length) {
    return (
      <p className="notice" role="status">
        Nothing in this organisation's records contains this {kind === "name" ? "name as whole words" : "address as a whole"}.
      </p>
    );
  }
  const invoices = [...new Set(matches.filter((m) => m.locked && m.invoiceId).map((m) => m.invoiceId!))];
  return (
    <>
      <Form method="post" className="card" aria-label="Matches">
        <h2>
          {matches.length} match{matches.length === 1 ? "" : "es"}
        </h2>
        {truncated && (
          <p className="form-error" role="alert">
            Only the first {matches.length} matches are shown. Redact these, then search again.
          </p>
        )}
        <table>
          <thead>
            <tr>
              <th>Redact</th>
              <th>Where</th>
              <th>Text</th>
            </tr>
          </thead>
          <tbody>
            {matches.map((m) => {
              const key = `${m.table}|${m.field}|${m.rowId}`;
              return (
                <tr key={key}>
                  <td>
                    {m.locked ? (
                      <small>{m.locked}</small>
                    ) : (
                      <input type="checkbox" name="pick" value={`${key}|${m.fingerprint}`} aria-label={`Redact ${m.label} ${m.rowId}`} />
                    )}
                  </td>
                  <td>
                    {m.label}
                    <br />
                    <small>
                      {m.table}.{m.field} {m.rowId}
                    </small>
                  </td>
                  <td>
                    {m.excerpt}
                    {m.occurrences > 1 && <small> ({m.occurrences} times)</small>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <input type="hidden" name="kind" value={kind} />
        <input type="hidden" name="term" value={term} />
        <div className="field">
          <label htmlFor="f-replacement">Replace with</label>
          <input id="f-replacement" name="replacement" defaultValue="[redacted]" maxLength={60} required />
        </div>
        <button type="submit" name="intent" value="review" disabled={busy}>
          Review the change
        </button>
      </Form>
      {invoices.map((id) => (
        <Form key={id} method="post" className="card narrow" aria-label={`Redacted copy of invoice ${id}`}>
          <h3>Issued invoice {id}</h3>
          <p>
            This invoice stays as issued. If you give the person a copy with their details blacked out, record it here; the note goes to the
            audit log.
          </p>
          <input type="hidden" name="invoiceId" value={id} />
          <div className="field">
            <label htmlFor={`f-note-${id}`}>Note</label>
            <input id={`f-note-${id}`} name="note" maxLength={1000} required placeholder="Redacted copy emailed on request #17" />
          </div>
          <button type="submit" name="intent" value="note" disabled={busy}>
            Record the redacted copy
          </button>
        </Form>
      ))}
    </>
  );
}
