import { Form } from "@remix-run/react";

/**
 * A destructive action behind a second click: the first opens the question, the second posts it.
 * A <details> element, so it needs no script and the question is read before the button.
 */
export function ConfirmForm(props: { open: string; question: string; confirm: string; fields: Record<string, string> }) {
  return (
    <details className="confirm">
      <summary className="button secondary">{props.open}</summary>
      <Form method="post">
        <p>{props.question}</p>
        {Object.entries(props.fields).map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        <button type="submit" className="danger">
          {props.confirm}
        </button>
      </Form>
    </details>
  );
}
