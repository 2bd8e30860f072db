import type { ReactNode } from "react";

type Failure = { ok: false; message: string; fieldErrors: Record<string, string[] | undefined> } | { ok: true } | undefined;

export function errorsOf(result: unknown) {
  const r = result as Failure;
  return r && !r.ok ? r : null;
}

export function FormMessage({ result }: { result: unknown }) {
  const failure = errorsOf(result);
  if (!failure) return null;
  return (
    <p role="alert" className="form-error">
      {failure.message}
    </p>
  );
}

export function Field(props: {
  name: string;
  label: string;
  result?: unknown;
  type?: string;
  defaultValue?: string | number | null;
  required?: boolean;
  autoComplete?: string;
  hint?: ReactNode;
  children?: ReactNode;
  maxLength?: number;
}) {
  const errors = errorsOf(props.result)?.fieldErrors[props.name];
  const id = `f-${props.name}`;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.children ?? (
        <input
          id={id}
          name={props.name}
          type={props.type ?? "text"}
          defaultValue={props.defaultValue ?? undefined}
          required={props.required}
          autoComplete={props.autoComplete}
          maxLength={props.maxLength}
          aria-invalid={errors ? true : undefined}
          aria-describedby={errors ? `${id}-error` : undefined}
        />
      )}
      {props.hint && <small className="hint">{props.hint}</small>}
      {errors?.map((e) => (
        <small key={e} id={`${id}-error`} className="field-error">
          {e}
        </small>
      ))}
    </div>
  );
}
