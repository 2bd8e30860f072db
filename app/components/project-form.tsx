import { Form, useNavigation } from "@remix-run/react";
import { PROJECT_STATUS_LABEL } from "~/lib/format";
import { formatAmountInput, minorDigits } from "~/lib/money";
import { useOrgAccess } from "~/lib/permissions";
import { Field, FormMessage } from "./form";

interface ProjectValues {
  client_id: string;
  name: string;
  code: string | null;
  status: keyof typeof PROJECT_STATUS_LABEL;
  /** Null when the viewer's role cannot see rates (project.rates.view): the fields are then left out. */
  hourly_rate: number | null;
  budget_seconds: number | null;
}

export function ProjectForm(props: {
  result: unknown;
  clients: { id: string; name: string }[];
  project?: ProjectValues;
  defaultClientId?: string;
  submitLabel: string;
}) {
  const { result, project } = props;
  const busy = useNavigation().state !== "idle";
  const access = useOrgAccess();
  const showRates = access.can("project.rates.view") && project?.hourly_rate !== null;
  return (
    <Form method="post" className="card narrow">
      <FormMessage result={result} />
      <Field name="clientId" label="Client" result={result}>
        <select id="f-clientId" name="clientId" defaultValue={project?.client_id ?? props.defaultClientId} required>
          <option value="">Choose a client…</option>
          {props.clients.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </Field>
      <Field name="name" label="Name" result={result} defaultValue={project?.name} required maxLength={200} />
      <div className="row">
        <Field name="code" label="Code" result={result} defaultValue={project?.code} maxLength={20} hint="Optional, e.g. WEB-01" />
        <Field name="status" label="Status" result={result}>
          <select id="f-status" name="status" defaultValue={project?.status ?? "active"}>
            {Object.entries(PROJECT_STATUS_LABEL).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {showRates && (
        <div className="row">
          <Field
            name="hourlyRate"
            label="Hourly rate"
            result={result}
            defaultValue={project?.hourly_rate ? formatAmountInput(project.hourly_rate, access.currency, access.numberLocale) : ""}
            hint={`Billable rate per hour in ${access.currency}, e.g. ${formatAmountInput(12050 * 10 ** Math.max(minorDigits(access.currency) - 2, 0), access.currency, access.numberLocale)}`}
          />
          <Field
            name="budgetHours"
            label="Budget (hours)"
            result={result}
            defaultValue={project?.budget_seconds != null ? project.budget_seconds / 3600 : ""}
          />
        </div>
      )}
      <button type="submit" disabled={busy}>
        {props.submitLabel}
      </button>
    </Form>
  );
}
