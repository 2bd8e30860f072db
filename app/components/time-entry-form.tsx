import { Form, Link, useNavigation } from "@remix-run/react";
import { errorsOf, Field, FormMessage } from "./form";

export interface EditableEntry {
  id: string;
  project_id: string;
  note: string;
  billable: boolean;
  running: boolean;
  date: string;
  start_time: string;
  end_time: string | null;
}

/**
 * Add or edit an entry: a date with start and end times, or a date with a duration (placed in the
 * first free stretch of that day). Times are the organisation's local time.
 */
export function TimeEntryForm(props: {
  result: unknown;
  projects: { id: string; name: string; client_name: string }[];
  entry?: EditableEntry | null;
  today: string;
  timeZone: string;
  cancelTo: string;
}) {
  const { result, entry } = props;
  const busy = useNavigation().state !== "idle";
  return (
    <Form method="post" className="card" key={entry?.id ?? "new"} aria-label={entry ? "Edit entry" : "Add time"}>
      <h2 style={{ marginTop: 0 }}>{entry ? "Edit entry" : "Add time"}</h2>
      <FormMessage result={result} />
      <input type="hidden" name="intent" value={entry ? "update" : "create"} />
      {entry && <input type="hidden" name="id" value={entry.id} />}
      {entry?.running && <input type="hidden" name="running" value="1" />}
      {/* What the form was drawn with: the action sends only the fields that differ from these. */}
      {entry && (
        <>
          <input type="hidden" name="was_projectId" value={entry.project_id} />
          <input type="hidden" name="was_note" value={entry.note} />
          <input type="hidden" name="was_billable" value={entry.billable ? "1" : "0"} />
          <input type="hidden" name="was_date" value={entry.date} />
          <input type="hidden" name="was_start" value={entry.start_time} />
          <input type="hidden" name="was_end" value={entry.end_time ?? ""} />
        </>
      )}
      <Field name="projectId" label="Project" result={result}>
        <select id="f-projectId" name="projectId" defaultValue={entry?.project_id ?? ""} required>
          <option value="">Choose a project…</option>
          {props.projects.map((p) => (
            <option key={p.id} value={p.id}>
              {p.client_name}: {p.name}
            </option>
          ))}
        </select>
      </Field>
      {entry?.running ? (
        <p className="muted">The timer is running; stop it to change its times.</p>
      ) : (
        <div className="row">
          <Field name="date" label="Date" type="date" result={result} defaultValue={entry?.date ?? props.today} required />
          <Field name="start" label="Start" type="time" result={result} defaultValue={entry?.start_time} />
          <Field name="end" label="End" type="time" result={result} defaultValue={entry?.end_time} hint="Before the start: the next day" />
          <Field name="duration" label="Or duration" result={result} hint="1.5, 1:30 or 90m" />
        </div>
      )}
      <RepeatedHourChoice result={result} />
      <Field name="note" label="Note" result={result} defaultValue={entry?.note} maxLength={2000} />
      <p>
        <label>
          <input type="checkbox" name="billable" defaultChecked={entry?.billable ?? true} /> Billable
        </label>
      </p>
      <p className="muted">Times are in {props.timeZone}.</p>
      <div className="toolbar">
        <button type="submit" disabled={busy}>
          {entry ? "Save" : "Add entry"}
        </button>
        {entry && <Link to={props.cancelTo}>Cancel</Link>}
      </div>
    </Form>
  );
}

/**
 * When the clocks go back, a time such as 02:30 happens twice; the server then asks which one is
 * meant (the error names both offsets), and only then does the form offer the choice.
 */
function RepeatedHourChoice({ result }: { result: unknown }) {
  const errors = errorsOf(result)?.fieldErrors ?? {};
  const asked = (["startOccurrence", "endOccurrence"] as const).filter((name) => errors[name]);
  if (asked.length === 0) return null;
  return (
    <div className="row">
      {asked.map((name) => (
        <Field key={name} name={name} label={name === "startOccurrence" ? "Which start?" : "Which end?"} result={result}>
          <select id={`f-${name}`} name={name} defaultValue="" required>
            <option value="">Choose…</option>
            <option value="first">The first time (before the clocks went back)</option>
            <option value="second">The second time (after the clocks went back)</option>
          </select>
        </Field>
      ))}
    </div>
  );
}
