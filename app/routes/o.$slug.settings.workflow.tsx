import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { FormMessage } from "~/components/form";
import { attempt, readForm, formObject, load } from "~/lib/api.server";
import { CATEGORY_LABEL } from "~/lib/tasks";

export const meta: MetaFunction = () => [{ title: "Workflow · opslayer" }];

type Category = keyof typeof CATEGORY_LABEL;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const org = params.slug!;
  const [statuses, labels] = await load(request, () => Promise.all([context.api.workflow.list({ org }), context.api.labels.list({ org })]));
  return { statuses, labels };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const org = params.slug!;
  const f = formObject(await readForm(request));
  const api = context.api;
  const id = f.id ?? "";
  const run = async (about: "status" | "label", call: () => Promise<unknown>) => ({ about, ...(await attempt(request, call)) });
  switch (f.intent) {
    case "status-create":
      return run("status", () =>
        api.workflow.create({ org, name: f.name ?? "", color: f.color ?? "", category: (f.category ?? "todo") as Category }),
      );
    case "status-update":
      return run("status", () => api.workflow.update({ org, id, name: f.name, color: f.color, category: f.category as Category }));
    case "status-up":
    case "status-down":
      return run("status", () =>
        api.workflow.update({ org, id, position: Math.max(0, Number(f.position) + (f.intent === "status-up" ? -1 : 1)) }),
      );
    case "status-delete":
      return run("status", () => api.workflow.delete({ org, id, moveTo: f.moveTo || undefined }));
    case "label-create":
      return run("label", () => api.labels.create({ org, name: f.name ?? "", color: f.color || undefined }));
    case "label-update":
      return run("label", () => api.labels.update({ org, id, name: f.name, color: f.color }));
    case "label-delete":
      return run("label", () => api.labels.delete({ org, id }));
    default:
      return { about: "status" as const, ok: false as const, message: "Unknown action.", fieldErrors: {} };
  }
}

function CategorySelect({ defaultValue }: { defaultValue: Category }) {
  return (
    <select name="category" defaultValue={defaultValue} aria-label="Category">
      {Object.entries(CATEGORY_LABEL).map(([v, l]) => (
        <option key={v} value={v}>
          {l}
        </option>
      ))}
    </select>
  );
}

export default function WorkflowSettings() {
  const { statuses, labels } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <div>
      <h1>Workflow</h1>
      <p className="muted">
        Statuses are the columns of the board, in this order. New tasks and requests start in the first to-do status; declined requests go
        to the first done status. A status that tasks use can be deleted only by moving those tasks to another status.
      </p>
      {result?.about === "status" && <FormMessage result={result} />}
      <table>
        <thead>
          <tr>
            <th>Order</th>
            <th>Status</th>
            <th>Tasks</th>
            <th>Delete</th>
          </tr>
        </thead>
        <tbody>
          {statuses.map((s, i) => (
            <tr key={s.id}>
              <td className="nowrap">
                <Form method="post" style={{ display: "inline" }}>
                  <input type="hidden" name="id" value={s.id} />
                  <input type="hidden" name="position" value={s.position} />
                  <button
                    type="submit"
                    name="intent"
                    value="status-up"
                    className="secondary"
                    disabled={i === 0}
                    aria-label={`Move ${s.name} up`}
                  >
                    ↑
                  </button>{" "}
                  <button
                    type="submit"
                    name="intent"
                    value="status-down"
                    className="secondary"
                    disabled={i === statuses.length - 1}
                    aria-label={`Move ${s.name} down`}
                  >
                    ↓
                  </button>
                </Form>
              </td>
              <td>
                <Form method="post" className="row" style={{ alignItems: "center" }}>
                  <input type="hidden" name="intent" value="status-update" />
                  <input type="hidden" name="id" value={s.id} />
                  <input type="color" name="color" defaultValue={s.color} aria-label="Colour" style={{ flex: "0 0 48px" }} />
                  <input name="name" defaultValue={s.name} maxLength={50} required aria-label="Name" />
                  <CategorySelect defaultValue={s.category} />
                  <button type="submit" className="secondary">
                    Save
                  </button>
                </Form>
              </td>
              <td>{s.taskCount}</td>
              <td>
                <Form method="post" className="row" style={{ alignItems: "center" }}>
                  <input type="hidden" name="intent" value="status-delete" />
                  <input type="hidden" name="id" value={s.id} />
                  <select name="moveTo" defaultValue="" aria-label={`Move ${s.name}'s tasks to`}>
                    <option value="">Move its tasks to…</option>
                    {statuses
                      .filter((o) => o.id !== s.id)
                      .map((o) => (
                        <option key={o.id} value={o.id}>
                          {o.name}
                        </option>
                      ))}
                  </select>
                  <button type="submit" className="danger">
                    Delete
                  </button>
                </Form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Form method="post" className="card row" style={{ alignItems: "end", marginTop: 12 }}>
        <input type="hidden" name="intent" value="status-create" />
        <div className="field">
          <label htmlFor="f-status-name">New status</label>
          <input id="f-status-name" name="name" maxLength={50} required />
        </div>
        <div className="field">
          <label htmlFor="f-status-color">Colour</label>
          <input id="f-status-color" type="color" name="color" defaultValue="#5b8def" />
        </div>
        <div className="field">
          <label htmlFor="f-status-category">Category</label>
          <CategorySelect defaultValue="doing" />
        </div>
        <div className="field">
          <button type="submit">Add status</button>
        </div>
      </Form>

      <h2>Labels</h2>
      {result?.about === "label" && <FormMessage result={result} />}
      {labels.length === 0 ? (
        <p className="muted">No labels yet.</p>
      ) : (
        <table>
          <tbody>
            {labels.map((l) => (
              <tr key={l.id}>
                <td>
                  <Form method="post" className="row" style={{ alignItems: "center" }}>
                    <input type="hidden" name="intent" value="label-update" />
                    <input type="hidden" name="id" value={l.id} />
                    <input type="color" name="color" defaultValue={l.color} aria-label="Colour" style={{ flex: "0 0 48px" }} />
                    <input name="name" defaultValue={l.name} maxLength={50} required aria-label="Name" />
                    <button type="submit" className="secondary">
                      Save
                    </button>
                  </Form>
                </td>
                <td>
                  <Form method="post">
                    <input type="hidden" name="intent" value="label-delete" />
                    <input type="hidden" name="id" value={l.id} />
                    <button type="submit" className="danger">
                      Delete
                    </button>
                  </Form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Form method="post" className="card row" style={{ alignItems: "end", marginTop: 12 }}>
        <input type="hidden" name="intent" value="label-create" />
        <div className="field">
          <label htmlFor="f-label-name">New label</label>
          <input id="f-label-name" name="name" maxLength={50} required />
        </div>
        <div className="field">
          <label htmlFor="f-label-color">Colour</label>
          <input id="f-label-color" type="color" name="color" defaultValue="#8a94a6" />
        </div>
        <div className="field">
          <button type="submit">Add label</button>
        </div>
      </Form>
    </div>
  );
}
