import { Link } from "@remix-run/react";
import type { ReactNode } from "react";
import { withParam } from "~/lib/log-views";

/** One filter of a log page: label, control, and the API's sentence when that filter is wrong. */
export function FilterField({ name, label, children, errors }: { name: string; label: string; children: ReactNode; errors?: string[] }) {
  return (
    <div className="field">
      <label htmlFor={`f-${name}`}>{label}</label>
      {children}
      {errors?.map((e) => (
        <small key={e} className="field-error">
          {e}
        </small>
      ))}
    </div>
  );
}

/** The required From / To (inclusive) dates of a report page; days are the organisation's. */
export function DateRangeFields({ from, to, errors }: { from: string; to: string; errors: (name: string) => string[] | undefined }) {
  return (
    <>
      <FilterField name="from" label="From" errors={errors("from")}>
        <input id="f-from" name="from" type="date" defaultValue={from} required />
      </FilterField>
      <FilterField name="to" label="To (inclusive)" errors={errors("to")}>
        <input id="f-to" name="to" type="date" defaultValue={to} required />
      </FilterField>
    </>
  );
}

export function FilterProblem({ problem }: { problem: { message: string } | null }) {
  return problem ? (
    <p role="alert" className="form-error">
      {problem.message}
    </p>
  ) : null;
}

export function FilterActions() {
  return (
    <div className="filter-actions">
      <button type="submit">Filter</button> <Link to=".">Clear</Link>
    </div>
  );
}

/** Newest/Older links for a log paged by a cursor kept in the URL parameter `param`. */
export function LogPager({
  params,
  param,
  nextCursor,
  keepScroll,
}: {
  params: URLSearchParams;
  param: string;
  nextCursor: number | null;
  keepScroll?: boolean;
}) {
  return (
    <p className="toolbar">
      {params.get(param) ? (
        <Link to={withParam(params, param, null)} preventScrollReset={keepScroll}>
          ← Newest
        </Link>
      ) : (
        <span />
      )}
      {nextCursor !== null && (
        <Link to={withParam(params, param, nextCursor)} preventScrollReset={keepScroll}>
          Older →
        </Link>
      )}
    </p>
  );
}
