import { Form, useNavigation } from "@remix-run/react";
import { PRIORITY_LABEL } from "~/lib/tasks";
import { Field, FormMessage } from "./form";

interface TaskValues {
  title: string;
  description: string;
  priority: keyof typeof PRIORITY_LABEL;
  dueDate: string | null;
  estimateSeconds: number | null;
  labels: { id: string }[];
}

interface Option {
  id: string;
  name: string;
}

/**
 * The task's own fields. On a new task also its project, status and assignees; a request (raised,
 * not created) has no status, estimate, labels or assignees: triage decides those.
 */
export function TaskForm(props: {
  result: unknown;
  task?: TaskValues;
  projects?: (Option & { clientName: string })[];
  defaultProjectId?: string;
  statuses?: Option[];
  labels: (Option & { color: string })[];
  assignable?: { userId: string; name: string }[] | null;
  request?: boolean;
  intent?: string;
  submitLabel: string;
}) {
  const { result, task } = props;
  const busy = useNavigation().state !== "idle";
  const chosen = new Set(task?.labels.map((l) => l.id));
  return (
    <Form method="post" className="card">
      {props.intent && <input type="hidden" name="intent" value={props.intent} />}
      <FormMessage result={result} />
      {props.projects && (
        <Field name="projectId" label="Project" result={result}>
          <select id="f-projectId" name="projectId" defaultValue={props.defaultProjectId} required>
            <option value="">Choose a project…</option>
            {props.projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.clientName})
              </option>
            ))}
          </select>
        </Field>
      )}
      <Field name="title" label="Title" result={result} defaultValue={task?.title} required maxLength={200} />
      <Field name="description" label="Description" result={result} hint="Markdown: **bold**, _italic_, lists, [links](https://…)">
        <textarea id="f-description" name="description" defaultValue={task?.description} maxLength={20000} rows={6} />
      </Field>
      <div className="row">
        <Field name="priority" label="Priority" result={result}>
          <select id="f-priority" name="priority" defaultValue={task?.priority ?? "normal"}>
            {Object.entries(PRIORITY_LABEL).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </Field>
        {props.statuses && (
          <Field name="statusId" label="Status" result={result}>
            <select id="f-statusId" name="statusId" defaultValue="">
              <option value="">First to-do status</option>
              {props.statuses.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </Field>
        )}
        <Field name="dueDate" label="Due" type="date" result={result} defaultValue={task?.dueDate} />
        {!props.request && (
          <Field
            name="estimateHours"
            label="Estimate (hours)"
            result={result}
            defaultValue={task?.estimateSeconds != null ? task.estimateSeconds / 3600 : ""}
          />
        )}
      </div>
      {!props.request && props.labels.length > 0 && (
        <fieldset className="field">
          <legend>Labels</legend>
          {props.labels.map((l) => (
            <label key={l.id} style={{ marginRight: 12 }}>
              <input type="checkbox" name="labelIds" value={l.id} defaultChecked={chosen.has(l.id)} /> {l.name}
            </label>
          ))}
        </fieldset>
      )}
      {!props.request && props.assignable && props.assignable.length > 0 && (
        <fieldset className="field">
          <legend>Assignees</legend>
          {props.assignable.map((m) => (
            <label key={m.userId} style={{ marginRight: 12 }}>
              <input type="checkbox" name="assigneeIds" value={m.userId} /> {m.name}
            </label>
          ))}
        </fieldset>
      )}
      <button type="submit" disabled={busy}>
        {props.submitLabel}
      </button>
    </Form>
  );
}
