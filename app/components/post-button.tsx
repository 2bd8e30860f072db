import { Form } from "@remix-run/react";
import type { CSSProperties, ReactNode } from "react";

/**
 * One button that posts a few hidden fields (an intent and the row's id) to the page's action:
 * the Delete/Revoke/Remove buttons of tables. Works without script, like every form here.
 */
export function PostButton(props: {
  fields: Record<string, string>;
  children: ReactNode;
  className?: string;
  disabled?: boolean;
  ariaLabel?: string;
  preventScrollReset?: boolean;
  style?: CSSProperties;
  /** Asked in the browser before posting; without script the post goes straight through. */
  confirm?: string;
}) {
  return (
    <Form
      method="post"
      preventScrollReset={props.preventScrollReset}
      style={props.style}
      onSubmit={props.confirm ? (e) => (window.confirm(props.confirm) ? undefined : e.preventDefault()) : undefined}
    >
      {Object.entries(props.fields).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <button type="submit" className={props.className ?? "secondary"} disabled={props.disabled} aria-label={props.ariaLabel}>
        {props.children}
      </button>
    </Form>
  );
}
